//! [`StateDict`], names → tensors, and [`StateDictReader`], which reads one into
//! something with named slots (a module's parameters and buffers, an optimizer's
//! moments and step counts) and collects every problem before reporting them together.
//!
//! ```text
//! reader = StateDictReader::new(&dict, "module")
//! for each slot (name, shape):  reader.tensor(name, shape)   → Some(saved) or None
//!                               (None notes a missing name or a shape mismatch)
//! reader.finish("load_state_dict", strict)
//!     Ok(())  every slot was found with its shape (and, if strict, every saved name
//!             was read): only now does the caller apply what it read, all or nothing
//!     Err     "the state dict does not fit the module; missing: bias;
//!              unexpected: fc.weight; weight: module has shape [4, 3], state dict has [3, 4]"
//! ```
//! PyTorch's `load_state_dict(strict=True)` reports the same three lists at once.
//! Read next: [`crate::io::safetensors`], the file format.

use std::collections::{BTreeMap, HashSet};

use crate::error::{Error, ErrorKind};
use crate::tensor::Tensor;

/// Names → tensors: every parameter and buffer of a module, or an optimizer's state,
/// under dotted PyTorch names (`"encoder.layers.0.linear1.weight"`), sorted by name.
pub type StateDict = BTreeMap<String, Tensor>;

/// Reads a [`StateDict`] slot by slot; see the module doc.
///
/// # Examples
/// ```
/// use ferrograd::tensor::Tensor;
/// use ferrograd::tensor::io::{StateDict, StateDictReader};
/// let dict = StateDict::from([
///     ("weight".to_string(), Tensor::zeros(&[3, 4])),
///     ("extra".to_string(), Tensor::zeros(&[1])),
/// ]);
/// let mut reader = StateDictReader::new(&dict, "module");
/// assert!(reader.tensor("weight", &[4, 3]).is_none()); // the wrong shape
/// assert!(reader.tensor("bias", &[4]).is_none()); // not saved
/// let message = reader.finish("load_state_dict", true).unwrap_err().to_string();
/// assert_eq!(
///     message,
///     "load_state_dict: the state dict does not fit the module; missing: bias; \
///      unexpected: extra; weight: module has shape [4, 3], state dict has [3, 4]"
/// );
/// ```
pub struct StateDictReader<'a> {
    dict: &'a StateDict,
    /// What is being loaded, for messages: `"module"`, `"optimizer"`.
    target: &'static str,
    used: HashSet<&'a str>,
    missing: Vec<String>,
    /// `"<name>: <target> has shape [..], state dict has [..]"`, one per mismatch.
    mismatches: Vec<String>,
}

impl<'a> StateDictReader<'a> {
    /// A reader of `dict` into a `target` (`"module"`, `"optimizer"`: the messages
    /// name it).
    pub fn new(dict: &'a StateDict, target: &'static str) -> StateDictReader<'a> {
        StateDictReader {
            dict,
            target,
            used: HashSet::new(),
            missing: Vec::new(),
            mismatches: Vec::new(),
        }
    }

    /// The tensor saved under `name`, which must be there with `shape`. `None` notes
    /// the problem (a missing name or a shape mismatch) for [`StateDictReader::finish`].
    pub fn tensor(&mut self, name: &str, shape: &[usize]) -> Option<&'a Tensor> {
        if !self.dict.contains_key(name) {
            self.missing.push(name.to_string());
        }
        self.optional(name, shape)
    }

    /// The tensor saved under `name` if there is one (an optional slot, such as
    /// AMSGrad's maximum); one of another shape is noted as a mismatch.
    pub fn optional(&mut self, name: &str, shape: &[usize]) -> Option<&'a Tensor> {
        let (key, saved) = self.dict.get_key_value(name)?;
        self.used.insert(key);
        if saved.shape() != shape {
            self.mismatch(name, shape, saved.shape());
            return None;
        }
        Some(saved)
    }

    /// A one-element tensor saved under `name` (a step count, a learning rate) as a
    /// number; a missing or larger tensor is noted.
    pub fn scalar(&mut self, name: &str) -> Option<f64> {
        let Some((key, saved)) = self.dict.get_key_value(name) else {
            self.missing.push(name.to_string());
            return None;
        };
        self.used.insert(key);
        if saved.numel() != 1 {
            self.mismatch(name, &[], saved.shape());
            return None;
        }
        Some(saved.to_vec::<f64>()[0])
    }

    fn mismatch(&mut self, name: &str, want: &[usize], got: &[usize]) {
        let target = self.target;
        self.mismatches.push(format!(
            "{name}: {target} has shape {want:?}, state dict has {got:?}"
        ));
    }

    /// `Ok(())` if every slot read was found with its shape and, with `strict`, every
    /// saved name was read; otherwise one error of `op` listing every missing name,
    /// unexpected name and shape mismatch. Without `strict`, missing and unexpected
    /// names are allowed (shape mismatches never are), as PyTorch's `strict=False`.
    ///
    /// # Errors
    /// An [`ErrorKind::Io`] error: the state dict does not fit the target.
    pub fn finish(self, op: &'static str, strict: bool) -> Result<(), Error> {
        let mut problems = Vec::new();
        if strict && !self.missing.is_empty() {
            problems.push(format!("missing: {}", self.missing.join(", ")));
        }
        let unexpected: Vec<&str> = (self.dict.keys())
            .map(String::as_str)
            .filter(|k| !self.used.contains(k))
            .collect();
        if strict && !unexpected.is_empty() {
            problems.push(format!("unexpected: {}", unexpected.join(", ")));
        }
        problems.extend(self.mismatches);
        if problems.is_empty() {
            return Ok(());
        }
        let message = format!(
            "the state dict does not fit the {}; {}",
            self.target,
            problems.join("; ")
        );
        Err(Error::new(op, ErrorKind::Io, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(entries: &[(&str, &[usize])]) -> StateDict {
        (entries.iter())
            .map(|(name, shape)| (name.to_string(), Tensor::zeros(shape)))
            .collect()
    }

    #[test]
    fn a_fitting_dict_is_read_whole() {
        let d = dict(&[("weight", &[2, 3]), ("step", &[])]);
        let mut reader = StateDictReader::new(&d, "module");
        assert_eq!(reader.tensor("weight", &[2, 3]).unwrap().shape(), &[2, 3]);
        assert_eq!(reader.scalar("step"), Some(0.0));
        assert!(reader.optional("max_exp_avg_sq", &[2, 3]).is_none());
        assert!(reader.finish("load_state_dict", true).is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let d = dict(&[("w", &[3]), ("lr", &[2]), ("old.bias", &[1]), ("v", &[4])]);
        let mut reader = StateDictReader::new(&d, "optimizer");
        assert!(reader.tensor("w", &[5]).is_none());
        assert!(reader.scalar("lr").is_none());
        assert!(reader.scalar("step").is_none());
        assert!(reader.optional("v", &[2]).is_none());
        let e = reader.finish("load_state_dict", true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Io);
        assert_eq!(
            e.to_string(),
            "load_state_dict: the state dict does not fit the optimizer; missing: step; \
             unexpected: old.bias; w: optimizer has shape [5], state dict has [3]; \
             lr: optimizer has shape [], state dict has [2]; \
             v: optimizer has shape [2], state dict has [4]"
        );
    }

    #[test]
    fn without_strict_only_shape_mismatches_are_errors() {
        let d = dict(&[("w", &[3]), ("extra", &[1])]);
        let mut reader = StateDictReader::new(&d, "module");
        assert!(reader.tensor("w", &[3]).is_some());
        assert!(reader.tensor("b", &[3]).is_none());
        assert!(reader.finish("load_state_dict", false).is_ok());
        let mut reader = StateDictReader::new(&d, "module");
        reader.tensor("w", &[4]);
        let e = reader.finish("load_state_dict", false).unwrap_err();
        assert!(
            e.message
                .ends_with("w: module has shape [4], state dict has [3]")
        );
    }
}
