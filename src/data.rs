//! The bundled data sets: scikit-learn's digits, breast cancer and iris
//! (`data/sklearn/`, BSD-3-Clause) and 10,000 MNIST digits (`data/mnist/`, the original
//! IDX format) loaded into tensors, with a seeded train/test split; and the Multi30k
//! German–English sentence pairs (`data/multi30k/`) as text, for the tokenizers of
//! [`crate::text`].
//!
//! Shuffling draws from a [`Generator`]: one made from a `seed` argument
//! (`shuffled_batches(64, epoch)`: the order depends on nothing else), or one the
//! caller passes to a `*_with` method (`shuffled_batches_with(64, &mut g)`: each call
//! continues g's stream, so every epoch gets a new order, as PyTorch's
//! `DataLoader(shuffle=True, generator=g)`).
//!
//! File errors are values, not panics: a missing, unreadable or malformed file gives
//! a [`tensor::Error`] of kind [`tensor::ErrorKind::Io`] naming the loader, the file,
//! the line and the problem:
//! `load_digits: data/sklearn/digits.csv.gz: line 3: `x` is not a number`.

use std::io::Read;
use std::path::{Path, PathBuf};

use tensor::io::file_error;
use tensor::{Error, Generator, Tensor};

mod mnist;
mod multi30k;
pub use mnist::{load_mnist, load_mnist_from};
pub use multi30k::{Multi30kSplit, SentencePair, load_multi30k, load_multi30k_from};

/// Features and integer class labels of a classification data set.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// `[N, F]` f32 features (`[N, 1, 28, 28]` images for MNIST).
    pub features: Tensor,
    /// `[N]` class indices, i64 (as PyTorch's class labels).
    pub labels: Tensor,
    /// Number of classes.
    pub num_classes: usize,
}

impl Dataset {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.numel()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The examples at `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Dataset {
        let index = Tensor::from_vec_i64(rows.iter().map(|&r| r as i64).collect(), &[rows.len()]);
        Dataset {
            features: self.features.index_select(0, &index),
            labels: self.labels.index_select(0, &index),
            num_classes: self.num_classes,
        }
    }

    /// A shuffled split into (train, test) with `test_fraction` of the examples held
    /// out; the order comes from [`permutation`]`(len, seed)`, the same on every run.
    pub fn train_test_split(&self, test_fraction: f64, seed: u64) -> (Dataset, Dataset) {
        self.train_test_split_with(test_fraction, Generator::new().manual_seed(seed))
    }

    /// [`Dataset::train_test_split`] in an order drawn from `generator`
    /// (`torch.utils.data.random_split(.., generator=g)`).
    pub fn train_test_split_with(
        &self,
        test_fraction: f64,
        generator: &mut Generator,
    ) -> (Dataset, Dataset) {
        let order = shuffled_order(self.len(), generator);
        let n_test = (self.len() as f64 * test_fraction).round() as usize;
        (self.select(&order[n_test..]), self.select(&order[..n_test]))
    }

    /// The examples in mini-batches of `batch_size` (the last may be smaller), in an
    /// order shuffled by `seed` (use the epoch number to reshuffle every epoch).
    pub fn shuffled_batches(&self, batch_size: usize, seed: u64) -> Vec<Dataset> {
        self.shuffled_batches_with(batch_size, Generator::new().manual_seed(seed))
    }

    /// [`Dataset::shuffled_batches`] in an order drawn from `generator`: each call
    /// draws a new order, so one generator seeded once reshuffles every epoch.
    ///
    /// ```
    /// use ferrograd::data::load_iris;
    /// use ferrograd::prelude::Generator;
    /// let iris = load_iris().unwrap();
    /// let mut g = Generator::new();
    /// g.manual_seed(0);
    /// let epoch0 = iris.shuffled_batches_with(50, &mut g);
    /// let epoch1 = iris.shuffled_batches_with(50, &mut g);
    /// assert_eq!(epoch0.len(), 3);
    /// assert_ne!(epoch0[0].labels.to_vec::<f32>(), epoch1[0].labels.to_vec::<f32>());
    /// ```
    pub fn shuffled_batches_with(
        &self,
        batch_size: usize,
        generator: &mut Generator,
    ) -> Vec<Dataset> {
        shuffled_order(self.len(), generator)
            .chunks(batch_size.max(1))
            .map(|rows| self.select(rows))
            .collect()
    }

    /// Features standardised with the mean and standard deviation of `reference`'s
    /// features (use the training set's, to avoid leaking test statistics).
    pub fn standardized_like(&self, reference: &Dataset) -> Dataset {
        let mean = reference.features.mean_dim(0, true);
        let std = reference.features.std_dim(0, false, true).add_scalar(1e-6);
        Dataset {
            features: &(&self.features - &mean) / &std,
            ..self.clone()
        }
    }
}

/// A permutation of `0..n` from `seed` alone (a [`Generator`] seeded with it, shuffling
/// by Fisher–Yates), so a split or an epoch order is the same on every machine.
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    shuffled_order(n, Generator::new().manual_seed(seed))
}

/// `0..n` in an order drawn from `generator`.
fn shuffled_order(n: usize, generator: &mut Generator) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    generator.shuffle(&mut order);
    order
}

/// The whole text of a file, un-gzipped if its name ends in `.gz` (the word2vec
/// corpus: `read_text(&data_dir().join("word2vec/enwiki_2015_3m.txt.gz"))`).
///
/// # Errors
/// An [`tensor::ErrorKind::Io`] error if the file cannot be read, is not valid gzip,
/// or is not UTF-8 text.
pub fn read_text(path: &Path) -> Result<String, Error> {
    read_text_for("read_text", path)
}

/// [`read_text`] for the loader `op` (named in its errors).
fn read_text_for(op: &'static str, path: &Path) -> Result<String, Error> {
    String::from_utf8(read_bytes_for(op, path)?).map_err(|_| file_error(op, path, "not UTF-8 text"))
}

/// The bytes of a file, un-gzipped if its name ends in `.gz` (`op` is the loader).
fn read_bytes_for(op: &'static str, path: &Path) -> Result<Vec<u8>, Error> {
    let error = |problem: String| file_error(op, path, problem);
    let bytes = std::fs::read(path).map_err(|e| error(format!("cannot read: {e}")))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut raw)
            .map_err(|e| error(format!("not a valid gzip file: {e}")))?;
        Ok(raw)
    } else {
        Ok(bytes)
    }
}

/// Parse CSV rows of `features` numbers followed by a class label (`op` is the loader).
fn parse_rows(
    op: &'static str,
    path: &Path,
    lines: &[(usize, &str)],
    features: usize,
) -> Result<Dataset, Error> {
    let error = |problem: String| file_error(op, path, problem);
    let mut x = Vec::with_capacity(lines.len() * features);
    let mut y = Vec::with_capacity(lines.len());
    for &(number, line) in lines {
        let fields: Vec<&str> = line.trim().split(',').collect();
        if fields.len() != features + 1 {
            return Err(error(format!(
                "line {number}: expected {} comma-separated values, found {}",
                features + 1,
                fields.len()
            )));
        }
        for field in &fields {
            let value: f32 = field
                .trim()
                .parse()
                .map_err(|_| error(format!("line {number}: `{field}` is not a number")))?;
            x.push(value);
        }
        let label = x.pop().expect("the row has features + 1 values");
        if label < 0.0 || label.fract() != 0.0 {
            return Err(error(format!(
                "line {number}: the class label {label} is not a whole number ≥ 0"
            )));
        }
        y.push(label as i64);
    }
    let num_classes = y.iter().copied().max().map_or(0, |m| m as usize + 1);
    Ok(Dataset {
        features: Tensor::from_vec(x, &[y.len(), features]),
        labels: Tensor::from_vec_i64(y.clone(), &[y.len()]),
        num_classes,
    })
}

/// The repository's `data/` folder (found from this crate's manifest directory, so
/// examples, tests and notebooks all find it).
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// UCI handwritten digits: 1,797 images of 8×8 pixels (values 0–16), 10 classes.
///
/// # Errors
/// If `data/sklearn/digits.csv.gz` is missing or malformed.
pub fn load_digits() -> Result<Dataset, Error> {
    load_digits_from(&data_dir().join("sklearn/digits.csv.gz"))
}

/// [`load_digits`] from another file of the same format (64 pixels + label per line).
///
/// # Errors
/// If the file is missing or malformed; the error names the file and line.
pub fn load_digits_from(path: &Path) -> Result<Dataset, Error> {
    let text = read_text_for("load_digits", path)?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    parse_rows("load_digits", path, &lines, 64)
}

/// A scikit-learn CSV whose first line is `rows,features,class names...`.
fn load_with_header(op: &'static str, path: &Path) -> Result<Dataset, Error> {
    let error = |problem: String| file_error(op, path, problem);
    let text = read_text_for(op, path)?;
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| error("the file is empty".to_string()))?;
    let fields: Vec<&str> = header.split(',').collect();
    let count = |i: usize| -> Result<usize, Error> {
        fields
            .get(i)
            .and_then(|f| f.trim().parse().ok())
            .ok_or_else(|| {
                error(format!(
                    "line 1: expected `rows,features,...`, found `{header}`"
                ))
            })
    };
    let (rows, features) = (count(0)?, count(1)?);
    let body: Vec<(usize, &str)> = lines.collect();
    if body.len() != rows {
        return Err(error(format!(
            "the header promises {rows} rows, the file has {}",
            body.len()
        )));
    }
    parse_rows(op, path, &body, features)
}

/// Wisconsin diagnostic breast cancer: 569 examples, 30 features; label 0 = malignant
/// (212, the minority), 1 = benign (357).
///
/// # Errors
/// If `data/sklearn/breast_cancer.csv` is missing or malformed.
pub fn load_breast_cancer() -> Result<Dataset, Error> {
    load_with_header(
        "load_breast_cancer",
        &data_dir().join("sklearn/breast_cancer.csv"),
    )
}

/// Fisher's iris: 150 examples, 4 features, 3 classes.
///
/// # Errors
/// If `data/sklearn/iris.csv` is missing or malformed.
pub fn load_iris() -> Result<Dataset, Error> {
    load_with_header("load_iris", &data_dir().join("sklearn/iris.csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_sets_load_with_their_documented_shapes() {
        let digits = load_digits().unwrap();
        assert_eq!(digits.features.shape(), &[1797, 64]);
        assert_eq!(digits.num_classes, 10);
        let cancer = load_breast_cancer().unwrap();
        assert_eq!(cancer.features.shape(), &[569, 30]);
        let malignant = cancer
            .labels
            .to_vec::<i64>()
            .iter()
            .filter(|&&l| l == 0)
            .count();
        assert_eq!(cancer.labels.dtype(), tensor::DType::I64);
        assert_eq!(malignant, 212);
        assert_eq!(load_iris().unwrap().num_classes, 3);
    }

    #[test]
    fn split_is_deterministic_and_disjoint() {
        let digits = load_digits().unwrap();
        let (train, test) = digits.train_test_split(0.2, 7);
        assert_eq!((train.len(), test.len()), (1438, 359));
        let (train2, _) = digits.train_test_split(0.2, 7);
        assert_eq!(train.labels.to_vec::<i64>(), train2.labels.to_vec::<i64>());
    }

    #[test]
    fn bad_files_name_the_file_and_the_problem() {
        let dir = std::env::temp_dir().join(format!("ferrograd-data-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = load_digits_from(&dir.join("nope.csv")).unwrap_err();
        assert_eq!(missing.kind, tensor::ErrorKind::Io);
        let missing = missing.to_string();
        assert!(
            missing.starts_with("load_digits: ")
                && missing.contains("nope.csv")
                && missing.contains("cannot read"),
            "{missing}"
        );
        let corrupt = dir.join("corrupt.csv.gz");
        std::fs::write(&corrupt, b"definitely not gzip").unwrap();
        let e = load_digits_from(&corrupt).unwrap_err().to_string();
        assert!(e.contains("corrupt.csv.gz") && e.contains("gzip"), "{e}");
        let short = dir.join("short.csv");
        std::fs::write(&short, "1,2,3\n").unwrap();
        let e = load_digits_from(&short).unwrap_err().to_string();
        assert!(
            e.contains("line 1: expected 65 comma-separated values, found 3"),
            "{e}"
        );
    }
}
