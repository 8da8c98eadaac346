//! A module's state dict and its checkpoint files, as PyTorch's `state_dict()`,
//! `load_state_dict()` and `safetensors.torch.save_file` / `load_file`.
//!
//! ```text
//! state_dict(module)   { "0.weight": Tensor [8, 4], "0.bias": [8], "bn.running_mean": [8], ... }
//!                      parameters and buffers, under their dotted PyTorch names
//! save(module, path)   state_dict → safetensors file (readable by Python and PyTorch)
//! load(module, path)   safetensors file → load_state_dict(module, .., strict = true)
//! ```
//! Loading is strict by default: missing names, unexpected names and shape mismatches
//! are all collected and reported together, and nothing changes unless everything
//! fits. The file format, the [`StateDict`] type and atomic writes live in
//! [`ferrograd::tensor::io`], below both `nn` and `optim` (which saves optimizer state the same
//! way); they are re-exported here so that saving and loading are found in one place.
//! Read next: [`crate::layers`].

use std::path::Path;

use autograd::Var;
use tensor::Error;
use tensor::io::{StateDictReader, in_checkpoint};

use crate::module::Module;

pub use tensor::io::{StateDict, load_file, save_state_dict};

/// Every parameter and buffer of `module` under its dotted name.
///
/// # Examples
/// ```
/// use ferrograd::nn::{Linear, Module};
/// let names: Vec<String> = Linear::new(3, 2).state_dict().into_keys().collect();
/// assert_eq!(names, ["bias", "weight"]);
/// ```
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
/// An [`tensor::ErrorKind::Io`] error listing every missing name, unexpected name and
/// shape mismatch.
///
/// # Examples
/// ```
/// use ferrograd::nn::{Linear, Module};
/// let (a, b) = (Linear::new(3, 2), Linear::new(3, 2));
/// b.load_state_dict(&a.state_dict(), true).unwrap();
/// assert_eq!(b.weight.value().to_vec::<f32>(), a.weight.value().to_vec::<f32>());
/// let e = Linear::new(2, 2).load_state_dict(&a.state_dict(), true).unwrap_err();
/// assert!(e.to_string().contains("weight: module has shape [2, 2], state dict has [2, 3]"));
/// ```
pub fn load_state_dict(
    module: &(impl Module + ?Sized),
    state: &StateDict,
    strict: bool,
) -> Result<(), Error> {
    let mut reader = StateDictReader::new(state, "module");
    let mut targets = Vec::new();
    let mut read = |name: &str, v: &Var| {
        if let Some(saved) = reader.tensor(name, &v.shape()) {
            targets.push((v.clone(), saved.to_dtype(v.dtype())));
        }
    };
    module.visit_params("", &mut read);
    module.visit_buffers("", &mut read);
    let hint = "load_state_dict(.., false) skips missing and unexpected names";
    let result = reader.finish("load_state_dict", strict);
    result.map_err(|e| if strict { e.with_hint(hint) } else { e })?;
    for (var, value) in targets {
        var.set_value(value);
    }
    Ok(())
}

/// Save a module's state dict to `path` (safetensors), atomically.
///
/// # Errors
/// An [`tensor::ErrorKind::Io`] error naming the file, if it cannot be written.
pub fn save(module: &(impl Module + ?Sized), path: impl AsRef<Path>) -> Result<(), Error> {
    save_state_dict(&state_dict(module), path)
}

/// Load a safetensors file into a module, strictly.
///
/// # Errors
/// An [`tensor::ErrorKind::Io`] error naming the file, if it cannot be read or its
/// names or shapes do not fit the module (every problem is listed).
pub fn load(module: &(impl Module + ?Sized), path: impl AsRef<Path>) -> Result<(), Error> {
    let path = path.as_ref();
    let state = load_file(path)?;
    load_state_dict(module, &state, true).map_err(|e| in_checkpoint(e, "load", path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BatchNorm1d, Linear, Sequential};
    use tensor::{ErrorKind, Tensor};

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("ferrograd_nn_{}_{name}", std::process::id()))
    }

    #[test]
    fn save_and_load_round_trip_parameters_and_buffers() {
        let model = Sequential::new()
            .add(Linear::new(3, 4))
            .add(BatchNorm1d::new(4));
        model.named_buffers()[0]
            .1
            .set_value(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]));
        let path = temp("round_trip.safetensors");
        save(&model, &path).unwrap();
        let copy = Sequential::new()
            .add(Linear::new(3, 4))
            .add(BatchNorm1d::new(4));
        load(&copy, &path).unwrap();
        for ((name, a), b) in state_dict(&model).iter().zip(state_dict(&copy).values()) {
            assert_eq!(a.to_vec::<f64>(), b.to_vec::<f64>(), "{name}");
        }
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn strict_load_reports_every_problem_and_changes_nothing() {
        let model = Linear::new(3, 2);
        let before = model.weight.value().to_vec::<f32>();
        let mut state = Linear::new(2, 2).state_dict(); // weight [2, 2] instead of [2, 3]
        state.remove("bias");
        state.insert("scale".into(), Tensor::ones(&[1]));
        let e = model.load_state_dict(&state, true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Io);
        assert_eq!(
            e.to_string(),
            "load_state_dict: the state dict does not fit the module; missing: bias; \
             unexpected: scale; weight: module has shape [2, 3], state dict has [2, 2]. \
             Hint: load_state_dict(.., false) skips missing and unexpected names"
        );
        assert_eq!(model.weight.value().to_vec::<f32>(), before);
        // not strict: the missing bias and the unexpected scale are fine, the shape is not
        let e = model
            .load_state_dict(&state, false)
            .unwrap_err()
            .to_string();
        assert!(
            !e.contains("missing") && e.contains("weight: module has shape"),
            "{e}"
        );
    }

    #[test]
    fn load_names_the_file_and_the_problem() {
        let path = temp("mismatch.safetensors");
        save(&Linear::new(3, 2), &path).unwrap();
        let message = load(&Linear::new(3, 5), &path).unwrap_err().to_string();
        let expected = format!(
            "load: checkpoint {}: the state dict does not fit the module; \
             weight: module has shape [5, 3], state dict has [2, 3]; \
             bias: module has shape [5], state dict has [2]",
            path.display()
        );
        assert!(message.starts_with(&expected), "{message}");
        std::fs::remove_file(&path).unwrap();
        let missing = load(&Linear::new(3, 2), &path).unwrap_err().to_string();
        assert!(
            missing.starts_with("load_file: ") && missing.contains("cannot read"),
            "{missing}"
        );
    }
}
