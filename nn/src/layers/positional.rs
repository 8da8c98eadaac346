//! Positional encodings: attention itself ignores the order of its inputs, so the
//! position of each token is added to (or rotated into) its features.
//!
//! ```text
//! sinusoidal (Vaswani et al. 2017; PyTorch's transformer tutorial), fixed:
//!   PE[t, 2i]   = sin(t / 10000^(2i/C))
//!   PE[t, 2i+1] = cos(t / 10000^(2i/C))          y = dropout(x + PE[:T])
//!
//! learned (GPT-2, BERT): a trained table, one row per position
//!   y = x + weight[:T]                            weight: [max_len, C]
//!
//! rotary, RoPE (Su et al. 2021; "rotate-half" as LLaMA / Hugging Face), on q and k:
//!   θ_i = base^(−2i/D)                            i = 0 .. D/2 − 1
//!   feature i is paired with feature i + D/2 and the pair is rotated by the angle t·θ_i:
//!   y_i       = x_i · cos(tθ_i) − x_{i+D/2} · sin(tθ_i)
//!   y_{i+D/2} = x_{i+D/2} · cos(tθ_i) + x_i · sin(tθ_i)
//!   i.e. y = x ⊙ cos + rotate_half(x) ⊙ sin,  rotate_half(x) = cat(−x[D/2:], x[:D/2])
//! ```
//! RoPE makes `⟨rope(q, m), rope(k, n)⟩` depend on the positions only through `m − n`
//! (a rotation by mθ, then the inverse of one by nθ). Note the pairing: the original
//! paper and GPT-NeoX's "interleaved" form pair features (2i, 2i+1); checkpoints
//! converted from LLaMA/Hugging Face use the (i, i + D/2) pairing used here.
//! Read next: [`crate::layers::transformer`].

use autograd::Var;
use tensor::error::{Error, ErrorKind};
use tensor::{DType, Tensor};

use crate::module::{Forward, Module};

/// Where the time dim and the feature dim are; shared by both encodings.
#[track_caller]
fn add_positions(
    layer: &'static str,
    x: &Var,
    table: &Var,
    start: usize,
    batch_first: bool,
) -> Var {
    let shape = x.shape();
    let (max_len, d_model) = (table.shape()[0], table.shape()[1]);
    let t_dim = match (shape.len(), batch_first) {
        (2, _) => Some(0),
        (3, false) => Some(0),
        (3, true) => Some(1),
        _ => None,
    };
    let fail = |problem: String| -> ! {
        Error::new(layer, ErrorKind::Shape, problem)
            .with_hint("input is [T, B, C] ([B, T, C] with batch_first) or [T, C]")
            .raise()
    };
    let Some(t_dim) = t_dim else {
        fail(format!(
            "{layer}(d_model={d_model}): input must be 2-d or 3-d, got shape {shape:?}"
        ));
    };
    if shape[shape.len() - 1] != d_model {
        fail(format!(
            "{layer}(d_model={d_model}): input's last dim is {} (shape {shape:?})",
            shape[shape.len() - 1]
        ));
    }
    let t = shape[t_dim];
    if start + t > max_len {
        fail(format!(
            "{layer}(max_len={max_len}): positions {start}..{} do not fit (shape {shape:?})",
            start + t
        ));
    }
    let rows = table.narrow(0, start, t); // [T, C]
    // seq-first [T, B, C] needs [T, 1, C]; [B, T, C] and [T, C] broadcast [T, C] as is
    let rows = if shape.len() == 3 && !batch_first {
        rows.unsqueeze(1)
    } else {
        rows
    };
    x + &rows
}

/// The fixed sine/cosine encoding of PyTorch's transformer tutorial: adds
/// `PE[:T]` (see the [module docs](self)) and applies dropout (default 0.1, as the
/// tutorial). The table is a buffer named `pe`, `[max_len, 1, d_model]`, as the
/// tutorial's `register_buffer('pe', ..)`, so it is saved in checkpoints.
///
/// # Shapes
/// input and output `[T, B, C]` (`[B, T, C]` with `batch_first`, or `[T, C]`), `T ≤ max_len`.
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::positional::SinusoidalPositionalEncoding;
/// use ferrograd::nn::{Forward, Module};
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// let mut pe = SinusoidalPositionalEncoding::new(4, 100);
/// pe.eval();
/// let y = pe.forward(&Var::new(Tensor::zeros(&[2, 1, 4]))).value().to_vec::<f32>();
/// // t = 0: sin 0, cos 0, sin 0, cos 0; t = 1: sin 1, cos 1, sin 0.01, cos 0.01
/// assert_eq!(y[..4], [0.0, 1.0, 0.0, 1.0]);
/// assert!((y[4] - 1f32.sin()).abs() < 1e-6 && (y[6] - 0.01f32.sin()).abs() < 1e-6);
/// ```
pub struct SinusoidalPositionalEncoding {
    /// The buffer `[max_len, 1, d_model]` (a constant `Var`: no gradient).
    pub pe: Var,
    /// Dropout probability after the addition, in training.
    pub dropout: f64,
    /// Input is `[B, T, C]` instead of `[T, B, C]`.
    pub batch_first: bool,
    training: bool,
}

impl SinusoidalPositionalEncoding {
    /// The table for `max_len` positions of `d_model` features; dropout 0.1, seq-first.
    /// Computed in f32 with the tutorial's formula
    /// `div_term = exp(arange(0, C, 2) · (−ln 10000 / C))`, so the values equal PyTorch's.
    pub fn new(d_model: usize, max_len: usize) -> SinusoidalPositionalEncoding {
        let position = Tensor::arange(0.0, max_len as f64, 1.0).reshape(&[max_len, 1]);
        let half = d_model.div_ceil(2);
        let div_term = Tensor::arange(0.0, d_model as f64, 2.0)
            .mul_scalar(-(10_000f64.ln()) / d_model as f64)
            .exp()
            .reshape(&[1, half]);
        let angle = &position * &div_term; // [max_len, ⌈C/2⌉]
        // interleave: [.., i, 0] = sin, [.., i, 1] = cos → columns 2i, 2i+1
        let pe = Tensor::stack(&[angle.sin(), angle.cos()], -1)
            .reshape(&[max_len, 2 * half])
            .narrow(1, 0, d_model)
            .contiguous()
            .reshape(&[max_len, 1, d_model]);
        SinusoidalPositionalEncoding {
            pe: Var::new(pe),
            dropout: 0.1,
            batch_first: false,
            training: true,
        }
    }

    /// Set the dropout probability.
    pub fn dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }

    /// Set whether the input is batch-major.
    pub fn batch_first(mut self, batch_first: bool) -> Self {
        self.batch_first = batch_first;
        self
    }

    /// Add the encodings of positions `start .. start + T` (for decoding one token at
    /// a time), then dropout.
    ///
    /// # Panics
    /// If the input is not 2-d or 3-d, its last dim is not `d_model`, or
    /// `start + T > max_len`.
    #[track_caller]
    pub fn forward_from(&self, x: &Var, start: usize) -> Var {
        let [max_len, _, d_model] = self.pe.shape()[..] else {
            unreachable!("pe is [max_len, 1, d_model]")
        };
        let table = self.pe.reshape(&[max_len, d_model]);
        let y = add_positions(
            "SinusoidalPositionalEncoding",
            x,
            &table,
            start,
            self.batch_first,
        );
        y.dropout(self.dropout, self.training)
    }
}

impl Module for SinusoidalPositionalEncoding {
    fn visit_params(&self, _prefix: &str, _f: &mut dyn FnMut(&str, &Var)) {}

    fn visit_buffers(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        f(&format!("{prefix}pe"), &self.pe);
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

impl Forward for SinusoidalPositionalEncoding {
    /// `dropout(x + PE[:T])`.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        self.forward_from(x, 0)
    }
}

/// A learned table of position vectors, added to the input: `y = x + weight[:T]`.
/// The parameter is named `weight` (`[max_len, d_model]`, N(0, 1) as `nn.Embedding`),
/// so as a child called `pos_embedding` it is saved as `pos_embedding.weight`, the name
/// an `nn.Embedding(max_len, d_model)` of positions would have in PyTorch.
///
/// # Shapes
/// input and output `[T, B, C]` (`[B, T, C]` with `batch_first`, or `[T, C]`), `T ≤ max_len`.
pub struct LearnedPositionalEncoding {
    /// `[max_len, d_model]`, one trained row per position.
    pub weight: Var,
    /// Input is `[B, T, C]` instead of `[T, B, C]`.
    pub batch_first: bool,
}

impl LearnedPositionalEncoding {
    /// `max_len` positions of `d_model` features, N(0, 1), seq-first.
    pub fn new(d_model: usize, max_len: usize) -> LearnedPositionalEncoding {
        LearnedPositionalEncoding {
            weight: Var::param(crate::init::normal(&[max_len, d_model], 0.0, 1.0)),
            batch_first: false,
        }
    }

    /// Set whether the input is batch-major.
    pub fn batch_first(mut self, batch_first: bool) -> Self {
        self.batch_first = batch_first;
        self
    }

    /// Add the rows of positions `start .. start + T`.
    ///
    /// # Panics
    /// If the input is not 2-d or 3-d, its last dim is not `d_model`, or
    /// `start + T > max_len`.
    #[track_caller]
    pub fn forward_from(&self, x: &Var, start: usize) -> Var {
        add_positions(
            "LearnedPositionalEncoding",
            x,
            &self.weight,
            start,
            self.batch_first,
        )
    }
}

impl Module for LearnedPositionalEncoding {
    fn visit_params(&self, prefix: &str, f: &mut dyn FnMut(&str, &Var)) {
        f(&format!("{prefix}weight"), &self.weight);
    }
}

impl Forward for LearnedPositionalEncoding {
    /// `x + weight[:T]`.
    #[track_caller]
    fn forward(&self, x: &Var) -> Var {
        self.forward_from(x, 0)
    }
}

/// Rotary position embedding (RoPE) of queries or keys, rotate-half pairing (feature
/// `i` with `i + D/2`, as LLaMA / Hugging Face); see the [module docs](self).
/// `positions` holds one (integer-valued) position per row; `base` is 10000 in most
/// models.
///
/// # Shapes
/// `x`: `[.., T, D]` with `D` even; `positions`: `[T]`; output: `x`'s shape.
///
/// # Panics
/// If `x` has fewer than 2 dims, `D` is odd, or `positions` is not `[T]`.
///
/// # Examples
/// ```
/// use ferrograd::nn::layers::positional::apply_rotary;
/// use ferrograd::autograd::Var;
/// use ferrograd::tensor::Tensor;
/// // D = 2: the pair (x₀, x₁) is rotated by the angle t (θ₀ = 1)
/// let x = Var::new(Tensor::from_vec(vec![1.0, 0.0], &[1, 2]));
/// let y = apply_rotary(&x, &Tensor::from_vec(vec![0.5], &[1]), 10000.0);
/// let y = y.value().to_vec::<f32>();
/// assert!((y[0] - 0.5f32.cos()).abs() < 1e-6 && (y[1] - 0.5f32.sin()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn apply_rotary(x: &Var, positions: &Tensor, base: f64) -> Var {
    let shape = x.shape();
    let fail = |problem: String| -> ! {
        Error::new("apply_rotary", ErrorKind::Shape, problem)
            .with_hint("x is [.., T, D] with D even (queries or keys per head), positions is [T]")
            .raise()
    };
    if shape.len() < 2 {
        fail(format!("x needs at least 2 dims, got shape {shape:?}"));
    }
    let (t, d) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    if d % 2 != 0 {
        fail(format!("head dim D = {d} must be even (shape {shape:?})"));
    }
    if positions.shape() != [t] {
        fail(format!(
            "positions has shape {:?}, expected [{t}] (x {shape:?})",
            positions.shape()
        ));
    }
    let (cos, sin) = rotary_tables(positions, d, base, x.dtype());
    let halves = x.chunk(2, -1);
    let rotated = Var::cat(&[-&halves[1], halves[0].clone()], -1); // rotate_half(x)
    &(x * &Var::new(cos)) + &(&rotated * &Var::new(sin))
}

/// `(cos, sin)` of the angles `t·θ_i`, each `[T, D]` with the `D/2` angles repeated
/// (`cat(freqs, freqs)`), computed in f64 and cast to `dtype`.
fn rotary_tables(positions: &Tensor, d: usize, base: f64, dtype: DType) -> (Tensor, Tensor) {
    let t = positions.numel();
    let inv_freq = Tensor::arange(0.0, d as f64, 2.0)
        .to_dtype(DType::F64)
        .mul_scalar(-base.ln() / d as f64)
        .exp()
        .reshape(&[1, d / 2]);
    let freqs = &positions.to_dtype(DType::F64).reshape(&[t, 1]) * &inv_freq; // [T, D/2]
    let angles = Tensor::cat(&[freqs.clone(), freqs], -1);
    (angles.cos().to_dtype(dtype), angles.sin().to_dtype(dtype))
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::gradcheck;

    fn vec64(v: &Var) -> Vec<f64> {
        v.value().to_vec()
    }

    #[test]
    fn sinusoidal_table_follows_the_formula_in_every_layout() {
        let mut pe = SinusoidalPositionalEncoding::new(6, 10);
        pe.eval();
        assert_eq!(pe.pe.shape(), vec![10, 1, 6]);
        // t = 3, i = 1: sin(3 / 10000^(2/6)), cos(..)
        let angle = 3.0 / 10_000f64.powf(2.0 / 6.0);
        let row: Vec<f64> = pe.pe.value().select(0, 3).to_vec();
        assert!((row[2] - angle.sin()).abs() < 1e-6 && (row[3] - angle.cos()).abs() < 1e-6);
        let x = Tensor::randn(&[4, 2, 6]);
        let seq = pe.forward(&Var::new(x.clone()));
        let pe_bf = SinusoidalPositionalEncoding::new(6, 10)
            .batch_first(true)
            .dropout(0.0);
        let bf = pe_bf.forward(&Var::new(x.transpose(0, 1)));
        assert_eq!(vec64(&seq), bf.value().transpose(0, 1).to_vec::<f64>());
        // unbatched, and starting at position 2
        let x1 = Var::new(x.select(1, 0).narrow(0, 2, 2));
        let from2 = pe.forward_from(&x1, 2);
        assert_eq!(
            vec64(&from2),
            seq.value().select(1, 0).narrow(0, 2, 2).to_vec::<f64>()
        );
        assert_eq!(pe.named_buffers()[0].0, "pe");
        assert_eq!(pe.num_parameters(), 0);
    }

    #[test]
    fn odd_widths_drop_the_last_cosine() {
        let pe = SinusoidalPositionalEncoding::new(3, 4);
        let row: Vec<f64> = pe.pe.value().select(0, 1).to_vec();
        let angle = 1.0 / 10_000f64.powf(2.0 / 3.0);
        assert_eq!(row.len(), 3);
        assert!((row[2] - angle.sin()).abs() < 1e-6);
    }

    #[test]
    fn learned_encoding_adds_its_rows_and_gets_gradients_there() {
        let pe = LearnedPositionalEncoding::new(2, 5).batch_first(true);
        pe.to_dtype(DType::F64);
        let x = Var::new(Tensor::zeros(&[3, 2, 2]).to_dtype(DType::F64));
        let y = pe.forward(&x);
        let w: Vec<f64> = pe.weight.value().to_vec();
        assert_eq!(vec64(&y)[..4], w[..4]);
        y.sum().backward();
        // rows 0 and 1, used by 3 sequences each; rows 2.. unused
        let g: Vec<f64> = pe.weight.grad().unwrap().to_vec();
        assert_eq!(g, [3.0, 3.0, 3.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(pe.named_parameters()[0].0, "weight");
    }

    #[test]
    fn rotary_rotates_pairs_i_and_i_plus_half() {
        // D = 4: θ = [1, 1/100]; pairs (0, 2) by t and (1, 3) by t/100
        let x = Var::new(Tensor::from_vec_f64(vec![1.0, 2.0, 3.0, 4.0], &[1, 4]));
        let t = 0.7f64;
        let y = vec64(&apply_rotary(
            &x,
            &Tensor::from_vec_f64(vec![t], &[1]),
            10_000.0,
        ));
        let (a, b) = (t, t / 100.0);
        let expect = [
            1.0 * a.cos() - 3.0 * a.sin(),
            2.0 * b.cos() - 4.0 * b.sin(),
            3.0 * a.cos() + 1.0 * a.sin(),
            4.0 * b.cos() + 2.0 * b.sin(),
        ];
        for (u, v) in y.iter().zip(expect) {
            assert!((u - v).abs() < 1e-12, "{y:?} vs {expect:?}");
        }
    }

    #[test]
    fn rotary_scores_depend_only_on_relative_position() {
        let q = Var::new(Tensor::randn(&[1, 8]).to_dtype(DType::F64));
        let k = Var::new(Tensor::randn(&[1, 8]).to_dtype(DType::F64));
        let score = |m: f64, n: f64| {
            let rq = apply_rotary(&q, &Tensor::from_vec_f64(vec![m], &[1]), 10_000.0);
            let rk = apply_rotary(&k, &Tensor::from_vec_f64(vec![n], &[1]), 10_000.0);
            (&rq * &rk).sum().item()
        };
        assert!((score(5.0, 2.0) - score(13.0, 10.0)).abs() < 1e-9);
        // position 0 is the identity
        let y = apply_rotary(&q, &Tensor::from_vec_f64(vec![0.0], &[1]), 10_000.0);
        assert_eq!(vec64(&y), vec64(&q));
    }

    #[test]
    fn rotary_passes_gradcheck() {
        let x = Tensor::from_vec_f64(
            (0..24).map(|i| (i as f64 * 0.3).sin()).collect(),
            &[2, 3, 4],
        );
        let positions = Tensor::from_vec_f64(vec![0.0, 1.0, 5.0], &[3]);
        gradcheck(|v| apply_rotary(&v[0], &positions, 100.0), &[x]).assert_passed();
    }

    #[test]
    #[should_panic(expected = "apply_rotary: head dim D = 3 must be even")]
    fn rotary_needs_an_even_head_dim() {
        apply_rotary(
            &Var::new(Tensor::zeros(&[2, 3])),
            &Tensor::zeros(&[2]),
            10_000.0,
        );
    }

    #[test]
    #[should_panic(expected = "positions has shape [3], expected [2]")]
    fn rotary_needs_one_position_per_row() {
        apply_rotary(
            &Var::new(Tensor::zeros(&[2, 4])),
            &Tensor::zeros(&[3]),
            10_000.0,
        );
    }

    #[test]
    #[should_panic(expected = "SinusoidalPositionalEncoding(max_len=4): positions 0..5 do not fit")]
    fn sequences_longer_than_max_len_are_reported() {
        SinusoidalPositionalEncoding::new(2, 4).forward(&Var::new(Tensor::zeros(&[5, 1, 2])));
    }

    #[test]
    #[should_panic(expected = "LearnedPositionalEncoding(d_model=2): input's last dim is 3")]
    fn the_width_is_checked() {
        LearnedPositionalEncoding::new(2, 4).forward(&Var::new(Tensor::zeros(&[3, 3])));
    }
}
