//! State dicts and safetensors checkpoints, as PyTorch's `state_dict()` /
//! `load_state_dict()` and `safetensors.torch.save_file` / `load_file`.
//!
//! ```text
//! state_dict: { "0.weight": Tensor [8, 4], "0.bias": [8], "bn.running_mean": [8], ... }
//!             parameters and buffers, under their dotted PyTorch names
//! file:       safetensors = 8-byte header length, JSON header (names, dtypes,
//!             shapes, offsets), raw little-endian data: readable by Python's
//!             `safetensors.torch.load_file` and so by PyTorch.
//! ```
//! Loading is strict by default: missing names, unexpected names and shape mismatches
//! are all collected and reported together. Writing is atomic: the file is written
//! next to its destination under a temporary name, then renamed.
//! Read next: [`crate::layers`].

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use tensor::{DType, Element, Tensor};

use crate::module::Module;

/// Names → tensors: every parameter and buffer of a module.
pub type StateDict = BTreeMap<String, Tensor>;

/// Why a state dict does not fit a module (every problem at once).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadError {
    /// Names the module has but the state dict lacks.
    pub missing: Vec<String>,
    /// Names the state dict has but the module lacks.
    pub unexpected: Vec<String>,
    /// `(name, module's shape, state dict's shape)` for each mismatch.
    pub shape_mismatches: Vec<(String, Vec<usize>, Vec<usize>)>,
}

impl LoadError {
    fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.shape_mismatches.is_empty()
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "load_state_dict: the state dict does not fit the module")?;
        if !self.missing.is_empty() {
            write!(f, "; missing: {}", self.missing.join(", "))?;
        }
        if !self.unexpected.is_empty() {
            write!(f, "; unexpected: {}", self.unexpected.join(", "))?;
        }
        for (name, want, got) in &self.shape_mismatches {
            write!(
                f,
                "; {name}: module has shape {want:?}, state dict has {got:?}"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// A checkpoint file that could not be written or read, naming the file.
#[derive(Debug)]
pub struct CheckpointError {
    /// The file involved.
    pub path: PathBuf,
    /// What went wrong (names the tensor when one is at fault).
    pub problem: String,
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "checkpoint {}: {}", self.path.display(), self.problem)
    }
}

impl std::error::Error for CheckpointError {}

fn error(path: &Path, problem: impl Into<String>) -> CheckpointError {
    CheckpointError {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// Every parameter and buffer of `module` under its dotted name.
pub fn state_dict(module: &(impl Module + ?Sized)) -> StateDict {
    let mut out = StateDict::new();
    module.visit_params("", &mut |name, p| {
        out.insert(name.to_string(), p.value());
    });
    module.visit_buffers("", &mut |name, b| {
        out.insert(name.to_string(), b.value());
    });
    out
}

/// Copy `state` into `module`'s parameters and buffers (converted to their dtype).
///
/// With `strict`, names must match exactly; without it, missing and unexpected names
/// are ignored (shape mismatches are always errors). Nothing is changed on error.
///
/// # Errors
/// A [`LoadError`] listing every missing name, unexpected name and shape mismatch.
pub fn load_state_dict(
    module: &(impl Module + ?Sized),
    state: &StateDict,
    strict: bool,
) -> Result<(), LoadError> {
    let mut problems = LoadError::default();
    let mut targets = Vec::new();
    let mut check = |name: &str, v: &autograd::Var| match state.get(name) {
        None => problems.missing.push(name.to_string()),
        Some(t) if t.shape() != v.shape().as_slice() => {
            problems
                .shape_mismatches
                .push((name.to_string(), v.shape(), t.shape().to_vec()))
        }
        Some(t) => targets.push((v.clone(), t.to_dtype(v.dtype()))),
    };
    module.visit_params("", &mut check);
    module.visit_buffers("", &mut check);
    let known: std::collections::HashSet<String> = state_dict(module).into_keys().collect();
    problems.unexpected = state
        .keys()
        .filter(|k| !known.contains(*k))
        .cloned()
        .collect();
    if !strict {
        problems.missing.clear();
        problems.unexpected.clear();
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for (var, value) in targets {
        var.set_value(value);
    }
    Ok(())
}

/// Write `state` to a safetensors file, atomically (temporary file, then rename).
///
/// # Errors
/// If the file cannot be written.
pub fn save_state_dict(state: &StateDict, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let bytes: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = state
        .iter()
        .map(|(name, t)| {
            let (dtype, data) = match t.dtype() {
                DType::F32 => (Dtype::F32, le_bytes(t, f32::to_le_bytes)),
                DType::F64 => (Dtype::F64, le_bytes(t, f64::to_le_bytes)),
                DType::I64 => (Dtype::I64, le_bytes(t, i64::to_le_bytes)),
                // one byte per element, 0 or 1, as PyTorch writes torch.bool
                DType::Bool => (Dtype::BOOL, le_bytes(t, |b: bool| [u8::from(b)])),
            };
            (name.clone(), dtype, t.shape().to_vec(), data)
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(name, dtype, shape, data)| {
            TensorView::new(*dtype, shape.clone(), data)
                .map(|v| (name.clone(), v))
                .map_err(|e| error(path, format!("tensor {name}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let serialized =
        safetensors::serialize(views, &None).map_err(|e| error(path, e.to_string()))?;
    let tmp = path.with_extension("safetensors.tmp");
    std::fs::write(&tmp, serialized).map_err(|e| error(path, format!("cannot write: {e}")))?;
    std::fs::rename(&tmp, path).map_err(|e| error(path, format!("cannot rename into place: {e}")))
}

/// The elements of `t` (of type `T`) as little-endian bytes, `N` per element.
fn le_bytes<T: Element, const N: usize>(t: &Tensor, to_le: fn(T) -> [u8; N]) -> Vec<u8> {
    t.to_vec::<T>().into_iter().flat_map(to_le).collect()
}

/// A tensor of `shape` from little-endian `data`, `N` bytes per element.
fn from_le<T: Element, const N: usize>(
    data: &[u8],
    shape: &[usize],
    from_le: fn([u8; N]) -> T,
) -> Tensor {
    let values = data.chunks_exact(N).map(|b| {
        from_le(
            b.try_into()
                .expect("internal error: chunks_exact gives N bytes; this is a bug"),
        )
    });
    Tensor::try_from_vec_of(values.collect(), shape)
        .expect("internal error: safetensors checked the data length; this is a bug")
}

/// Read every tensor of a safetensors file. F32, F64, I64 (PyTorch's `int64`: class
/// labels, token ids, BatchNorm's `num_batches_tracked`) and BOOL (`torch.bool`
/// masks) tensors are read as they are; I32 becomes I64. Any other dtype is an error
/// naming the tensor. ([`load_state_dict`] converts each tensor to the dtype of the
/// parameter or buffer it fills.)
///
/// # Errors
/// If the file is missing, truncated, not safetensors, or holds an unsupported dtype.
pub fn load_file(path: impl AsRef<Path>) -> Result<StateDict, CheckpointError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| error(path, format!("cannot read: {e}")))?;
    let file = SafeTensors::deserialize(&bytes)
        .map_err(|e| error(path, format!("not a valid safetensors file: {e}")))?;
    let mut out = StateDict::new();
    for (name, view) in file.tensors() {
        let shape = view.shape().to_vec();
        let data = view.data();
        let tensor = match view.dtype() {
            Dtype::F32 => from_le(data, &shape, f32::from_le_bytes),
            Dtype::F64 => from_le(data, &shape, f64::from_le_bytes),
            Dtype::I64 => from_le(data, &shape, i64::from_le_bytes),
            Dtype::I32 => from_le(data, &shape, |b| i64::from(i32::from_le_bytes(b))),
            Dtype::BOOL => from_le(data, &shape, |[b]: [u8; 1]| b != 0),
            other => {
                return Err(error(
                    path,
                    format!(
                        "tensor {name} has dtype {other:?}; only F32, F64, I64, I32 and BOOL are supported"
                    ),
                ));
            }
        };
        out.insert(name, tensor);
    }
    Ok(out)
}

/// Save a module's state dict to `path` (safetensors).
///
/// # Errors
/// If the file cannot be written.
pub fn save(
    module: &(impl Module + ?Sized),
    path: impl AsRef<Path>,
) -> Result<(), CheckpointError> {
    save_state_dict(&state_dict(module), path)
}

/// Load a safetensors file into a module, strictly.
///
/// # Errors
/// If the file cannot be read, or its names or shapes do not fit the module (the
/// message names the file and lists every problem).
pub fn load(
    module: &(impl Module + ?Sized),
    path: impl AsRef<Path>,
) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let state = load_file(path)?;
    load_state_dict(module, &state, true).map_err(|e| error(path, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_round_trips_through_a_file() {
        let state: StateDict = [
            ("f32", Tensor::from_vec(vec![1.5, -2.0], &[2])),
            ("f64", Tensor::from_vec_f64(vec![0.1], &[])),
            ("i64", Tensor::from_vec_i64(vec![i64::MAX, -3, 0], &[3, 1])),
            ("bool", Tensor::from_vec_bool(vec![true, false, true, true], &[2, 2])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let path = std::env::temp_dir().join(format!(
            "ferrograd-checkpoint-dtypes-{}.safetensors",
            std::process::id()
        ));
        save_state_dict(&state, &path).unwrap();
        let back = load_file(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        for (name, t) in &state {
            let b = &back[name];
            assert_eq!((b.dtype(), b.shape()), (t.dtype(), t.shape()), "{name}");
            assert_eq!(b.to_string(), t.to_string(), "{name}");
        }
        assert_eq!(back["i64"].to_vec::<i64>()[0], i64::MAX); // exact, no f64 detour
    }
}
