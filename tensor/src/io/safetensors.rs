//! Safetensors files: the checkpoint format of Hugging Face and PyTorch users.
//!
//! ```text
//! file = u64 n (little-endian) | n bytes of JSON header | raw tensor data
//! header: { "0.weight": { "dtype": "F32", "shape": [8, 4], "data_offsets": [0, 128] }, ... }
//! data:   each tensor row-major, little-endian, at its offsets
//! ```
//! Python reads our files with `safetensors.torch.load_file` and so PyTorch loads them
//! with `model.load_state_dict(...)`; we read theirs. The `safetensors` crate parses
//! and validates the header (offsets inside the file, sizes matching the shapes);
//! this file turns its byte views into [`Tensor`]s and back.
//! Read next: [`crate::io::atomic`], how a file is written without ever being half
//! written.

use std::path::Path;

use ::safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::atomic::write_atomic;
use super::file_error;
use super::state_dict::StateDict;
use crate::dtype::{DType, Element};
use crate::error::Error;
use crate::tensor::Tensor;

/// Write `state` to a safetensors file at `path`, atomically: a reader (or a crash)
/// sees the old file or the new one, never a mix ([`write_atomic`]).
///
/// # Errors
/// An [`crate::ErrorKind::Io`] error naming the file, if it cannot be written.
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// use ferrograd::tensor::io::{StateDict, load_file, save_state_dict};
/// let path = std::env::temp_dir().join(format!("doc_save_{}.safetensors", std::process::id()));
/// let state = StateDict::from([("bias".to_string(), Tensor::from_vec(vec![0.5, -1.0], &[2]))]);
/// save_state_dict(&state, &path).unwrap();
/// assert_eq!(load_file(&path).unwrap()["bias"].to_vec::<f32>(), vec![0.5, -1.0]);
/// std::fs::remove_file(path).unwrap();
/// ```
pub fn save_state_dict(state: &StateDict, path: impl AsRef<Path>) -> Result<(), Error> {
    let path = path.as_ref();
    let encoded: Vec<(&str, Dtype, &[usize], Vec<u8>)> = (state.iter())
        .map(|(name, t)| {
            let (dtype, data) = match t.dtype() {
                DType::F32 => (Dtype::F32, le_bytes(t, f32::to_le_bytes)),
                DType::F64 => (Dtype::F64, le_bytes(t, f64::to_le_bytes)),
                DType::I64 => (Dtype::I64, le_bytes(t, i64::to_le_bytes)),
                // one byte per element, 0 or 1, as PyTorch writes torch.bool
                DType::Bool => (Dtype::BOOL, le_bytes(t, |b: bool| [u8::from(b)])),
            };
            (name.as_str(), dtype, t.shape(), data)
        })
        .collect();
    let views = (encoded.iter())
        .map(|(name, dtype, shape, data)| {
            TensorView::new(*dtype, shape.to_vec(), data)
                .map(|view| (*name, view))
                .map_err(|e| file_error("save_state_dict", path, format!("tensor {name}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = ::safetensors::serialize(views, &None)
        .map_err(|e| file_error("save_state_dict", path, e))?;
    write_atomic("save_state_dict", path, &bytes)
}

/// The elements of `t` in row-major order, each as its little-endian bytes.
fn le_bytes<T: Element, const N: usize>(t: &Tensor, to_le: fn(T) -> [u8; N]) -> Vec<u8> {
    t.to_vec::<T>().into_iter().flat_map(to_le).collect()
}

/// Read every tensor of a safetensors file. F32, F64, I64 (PyTorch's `int64`: class
/// labels, token ids, BatchNorm's `num_batches_tracked`) and BOOL (`torch.bool`
/// masks) tensors are read as they are; I32 becomes I64. Any other dtype is an error
/// naming the tensor. (`nn`'s `load_state_dict` converts each tensor to the dtype of
/// the parameter or buffer it fills.)
///
/// # Errors
/// An [`crate::ErrorKind::Io`] error naming the file, if it is missing, truncated, not
/// safetensors, or holds a dtype other than those five.
///
/// # Examples
/// ```
/// let e = ferrograd::tensor::io::load_file("no/such/file.safetensors").unwrap_err();
/// assert!(e.to_string().starts_with("load_file: no/such/file.safetensors: cannot read"));
/// ```
pub fn load_file(path: impl AsRef<Path>) -> Result<StateDict, Error> {
    let path = path.as_ref();
    let fail = |problem: String| file_error("load_file", path, problem);
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let file = SafeTensors::deserialize(&bytes)
        .map_err(|e| fail(format!("not a valid safetensors file: {e}")))?;
    let mut out = StateDict::new();
    for (name, view) in file.tensors() {
        let (shape, data) = (view.shape(), view.data());
        let tensor = match view.dtype() {
            Dtype::F32 => from_le(data, shape, f32::from_le_bytes),
            Dtype::F64 => from_le(data, shape, f64::from_le_bytes),
            Dtype::I64 => from_le(data, shape, i64::from_le_bytes),
            Dtype::I32 => from_le(data, shape, |b| i64::from(i32::from_le_bytes(b))),
            Dtype::BOOL => from_le(data, shape, |[b]: [u8; 1]| b != 0),
            other => {
                return Err(fail(format!(
                    "tensor {name} has dtype {other:?}; only F32, F64, I64, I32 and BOOL \
                     are supported"
                )));
            }
        };
        out.insert(name, tensor);
    }
    Ok(out)
}

/// A tensor of `shape` from little-endian elements of `N` bytes each, decoded by
/// `from_le` (the header was validated: `data` holds exactly the shape's elements).
fn from_le<T: Element, const N: usize>(
    data: &[u8],
    shape: &[usize],
    from_le: fn([u8; N]) -> T,
) -> Tensor {
    let values = (data.chunks_exact(N))
        .map(|b| from_le(b.try_into().expect("chunks of N bytes")))
        .collect();
    Tensor::try_from_vec_of(values, shape)
        .expect("internal error: safetensors checked the data size; this is a bug")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("ferrograd_io_{}_{name}", std::process::id()))
    }

    #[test]
    fn round_trip_is_bit_exact_in_the_float_dtypes() {
        let state = StateDict::from([
            (
                "a".to_string(),
                Tensor::from_vec(vec![0.1, -3.5e-38, f32::MAX], &[3]),
            ),
            (
                "b.c".to_string(),
                Tensor::from_vec_f64(vec![1.0 / 3.0, -0.0, 1e300, 2.0], &[2, 2]),
            ),
            ("step".to_string(), Tensor::from_vec_f64(vec![7.0], &[])),
        ]);
        let path = temp("round_trip.safetensors");
        save_state_dict(&state, &path).unwrap();
        let back = load_file(&path).unwrap();
        assert_eq!(back.keys().collect::<Vec<_>>(), vec!["a", "b.c", "step"]);
        for (name, t) in &state {
            assert_eq!(back[name].dtype(), t.dtype(), "{name}");
            assert_eq!(back[name].shape(), t.shape(), "{name}");
            let bits = |t: &Tensor| {
                t.to_vec::<f64>()
                    .iter()
                    .map(|x| x.to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(bits(&back[name]), bits(t), "{name}");
        }
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn i64_and_bool_round_trip_exactly() {
        let state = StateDict::from([
            (
                "ids".to_string(),
                Tensor::from_vec_i64(vec![i64::MAX, -3, 0], &[3, 1]),
            ),
            (
                "mask".to_string(),
                Tensor::from_vec_bool(vec![true, false, true, true], &[2, 2]),
            ),
        ]);
        let path = temp("ints_bools.safetensors");
        save_state_dict(&state, &path).unwrap();
        let back = load_file(&path).unwrap();
        std::fs::remove_file(path).unwrap();
        assert_eq!(back["ids"].dtype(), DType::I64);
        assert_eq!(back["ids"].to_vec::<i64>(), vec![i64::MAX, -3, 0]); // no f64 detour
        assert_eq!(back["mask"].dtype(), DType::Bool);
        assert_eq!(back["mask"].shape(), &[2, 2]);
        assert_eq!(back["mask"].to_vec::<bool>(), vec![true, false, true, true]);
    }

    #[test]
    fn i32_tensors_load_as_i64_and_other_dtypes_are_refused() {
        let ints = [-3i32, 1 << 30];
        let data: Vec<u8> = ints.iter().flat_map(|v| v.to_le_bytes()).collect();
        let halfs = [0u8; 4];
        let views = vec![
            (
                "count",
                TensorView::new(Dtype::I32, vec![2], &data).unwrap(),
            ),
            (
                "half",
                TensorView::new(Dtype::F16, vec![2], &halfs).unwrap(),
            ),
        ];
        let path = temp("ints.safetensors");
        std::fs::write(
            &path,
            ::safetensors::serialize(views[..1].to_vec(), &None).unwrap(),
        )
        .unwrap();
        let count = &load_file(&path).unwrap()["count"];
        assert_eq!(
            (count.dtype(), count.to_vec::<i64>()),
            (DType::I64, vec![-3, 1 << 30])
        );
        std::fs::write(&path, ::safetensors::serialize(views, &None).unwrap()).unwrap();
        let e = load_file(&path).unwrap_err().to_string();
        assert!(
            e.contains("tensor half has dtype F16; only F32, F64, I64, I32 and BOOL"),
            "{e}"
        );
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn bad_files_are_errors_naming_the_file() {
        let path = temp("garbage.safetensors");
        std::fs::write(&path, b"\x05\0\0\0\0\0\0\0{oops").unwrap();
        let e = load_file(&path).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Io);
        let message = e.to_string();
        assert!(
            message.starts_with(&format!(
                "load_file: {}: not a valid safetensors file",
                path.display()
            )),
            "{message}"
        );
        std::fs::remove_file(path).unwrap();
    }
}
