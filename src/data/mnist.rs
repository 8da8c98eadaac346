//! MNIST: 10,000 handwritten digits of 28×28 pixels in `data/mnist/`, in the IDX
//! format of the original MNIST files (big-endian header, one byte per pixel), the
//! data of the CNN chapter (notebook 11, `examples/mnist_cnn.rs`).
//! Read next: `nn/src/layers/conv.rs`.

use std::path::Path;

use tensor::io::file_error;
use tensor::{Error, Tensor};

use super::{Dataset, data_dir, read_bytes_for};

/// MNIST handwritten digits, 10,000 of them (about 1,000 per class), as images
/// `[N, 1, 28, 28]` with pixels scaled to `[0, 1]` (0 = background, 1 = ink) and
/// labels 0–9. The file holds the digits grouped by class: split with
/// [`Dataset::train_test_split`], which shuffles first.
///
/// # Errors
/// If `data/mnist/mnist10k-{images-idx3,labels-idx1}-ubyte.gz` is missing or malformed.
///
/// # Examples
/// ```
/// let mnist = ferrograd::data::load_mnist().unwrap();
/// assert_eq!(mnist.features.shape(), &[10_000, 1, 28, 28]);
/// let (train, test) = mnist.train_test_split(0.2, 0); // 8,000 / 2,000
/// assert_eq!((train.len(), test.len()), (8_000, 2_000));
/// ```
pub fn load_mnist() -> Result<Dataset, Error> {
    let dir = data_dir().join("mnist");
    load_mnist_from(
        &dir.join("mnist10k-images-idx3-ubyte.gz"),
        &dir.join("mnist10k-labels-idx1-ubyte.gz"),
    )
}

/// [`load_mnist`] from other files in the IDX format of the original MNIST files
/// (gzipped or not): images with magic `0x00000803` and dims `N, rows, cols`, labels
/// with magic `0x00000801` and dim `N`, each followed by one byte per value.
///
/// # Errors
/// If a file is missing, not valid gzip, has the wrong magic number or length, or the
/// two files disagree on `N`; the error names the file.
pub fn load_mnist_from(images: &Path, labels: &Path) -> Result<Dataset, Error> {
    let (image_dims, pixels) = read_idx(images, 0x0803, 3)?;
    let (label_dims, classes) = read_idx(labels, 0x0801, 1)?;
    if image_dims[0] != label_dims[0] {
        return Err(file_error(
            "load_mnist",
            labels,
            format!(
                "holds {} labels but {} holds {} images",
                label_dims[0],
                images.display(),
                image_dims[0]
            ),
        ));
    }
    if let Some(&bad) = classes.iter().find(|&&c| c > 9) {
        return Err(file_error(
            "load_mnist",
            labels,
            format!("label {bad} is not a digit 0-9"),
        ));
    }
    let shape = [image_dims[0], 1, image_dims[1], image_dims[2]];
    let features = pixels.iter().map(|&p| f32::from(p) / 255.0).collect();
    let labels: Vec<i64> = classes.iter().map(|&c| i64::from(c)).collect();
    Ok(Dataset {
        features: Tensor::from_vec(features, &shape),
        labels: Tensor::from_vec_i64(labels, &[label_dims[0]]),
        num_classes: 10,
    })
}

/// The dims and the byte values of an IDX file of unsigned bytes with `dims` dims.
fn read_idx(path: &Path, magic: u32, dims: usize) -> Result<(Vec<usize>, Vec<u8>), Error> {
    let error = |problem: String| file_error("load_mnist", path, problem);
    let mut bytes = read_bytes_for("load_mnist", path)?;
    let header = 4 * (1 + dims);
    let word = |i: usize| {
        u32::from_be_bytes([
            bytes[4 * i],
            bytes[4 * i + 1],
            bytes[4 * i + 2],
            bytes[4 * i + 3],
        ])
    };
    if bytes.len() < header || word(0) != magic {
        return Err(error(format!(
            "not an IDX file of {dims}-d unsigned bytes (magic number {magic:#010x})"
        )));
    }
    let shape: Vec<usize> = (1..=dims).map(|i| word(i) as usize).collect();
    let expected = header + shape.iter().product::<usize>();
    if bytes.len() != expected {
        return Err(error(format!(
            "the header promises dims {shape:?} ({expected} bytes), the file has {} bytes",
            bytes.len()
        )));
    }
    bytes.drain(..header);
    Ok((shape, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::DType;

    #[test]
    fn mnist_loads_all_ten_classes_in_the_unit_interval() {
        let mnist = load_mnist().unwrap();
        assert_eq!(mnist.features.shape(), &[10_000, 1, 28, 28]);
        assert_eq!(mnist.labels.dtype(), DType::I64);
        let labels = mnist.labels.to_vec::<i64>();
        // the README's class counts: 1001 zeros, 1127 ones, 863 fives
        let count = |d: i64| labels.iter().filter(|&&l| l == d).count();
        assert_eq!((count(0), count(1), count(5)), (1001, 1127, 863));
        let (low, high) = (mnist.features.min().item(), mnist.features.max().item());
        assert_eq!((low, high), (0.0, 1.0));
    }

    #[test]
    fn bad_idx_files_name_the_file_and_the_problem() {
        let dir =
            std::env::temp_dir().join(format!("ferrograd-data-test-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let labels = data_dir().join("mnist/mnist10k-labels-idx1-ubyte.gz");
        // a labels file given as images: wrong magic number
        let e = load_mnist_from(&labels, &labels).unwrap_err().to_string();
        assert!(e.contains("labels-idx1") && e.contains("0x00000803"), "{e}");
        // three 1x1 images but a labels file of 10,000
        let tiny = dir.join("tiny-images");
        let mut bytes = vec![0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1];
        std::fs::write(&tiny, [&bytes[..], &[0, 128, 255]].concat()).unwrap();
        let e = load_mnist_from(&tiny, &labels).unwrap_err().to_string();
        assert!(
            e.contains("holds 10000 labels but") && e.contains("3 images"),
            "{e}"
        );
        bytes.push(7); // one pixel for three promised
        std::fs::write(&tiny, &bytes).unwrap();
        let e = load_mnist_from(&tiny, &labels).unwrap_err().to_string();
        assert!(
            e.contains("promises dims [3, 1, 1] (19 bytes), the file has 17"),
            "{e}"
        );
    }

    #[test]
    fn the_split_order_is_the_one_the_pytorch_twin_computes() {
        // examples/mnist_cnn_pytorch.py re-implements data::permutation (SplitMix64,
        // Lemire's bounded draw) to train on the same split in the same batch order
        assert_eq!(
            crate::data::permutation(10, 0),
            [4, 9, 2, 5, 1, 7, 6, 0, 3, 8]
        );
        assert_eq!(
            crate::data::permutation(10, 7),
            [9, 5, 8, 6, 1, 2, 4, 7, 0, 3]
        );
    }
}
