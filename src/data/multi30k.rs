//! Multi30k (WMT16 multimodal task 1): 31,014 German–English sentence pairs of image
//! descriptions in `data/multi30k/`, the data of the translation tutorial. Loaded as
//! raw text, line by line; [`crate::text`] turns it into token ids.
//! Read next: `src/text/mod.rs`.

use std::path::{Path, PathBuf};

use tensor::Error;
use tensor::io::file_error;

use super::{data_dir, read_text_for};

/// A split of Multi30k (WMT16 multimodal task 1, `data/multi30k/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Multi30kSplit {
    /// 29,000 pairs (`train.de`, `train.en`).
    Train,
    /// 1,014 pairs (`val.de`, `val.en`).
    Val,
    /// 1,000 pairs, the test set published results use (`test_2016_flickr.de`, `.en`).
    Test2016,
}

impl Multi30kSplit {
    /// The file name without its language suffix, e.g. `test_2016_flickr`.
    pub fn stem(self) -> &'static str {
        match self {
            Multi30kSplit::Train => "train",
            Multi30kSplit::Val => "val",
            Multi30kSplit::Test2016 => "test_2016_flickr",
        }
    }
}

/// A German sentence and its English translation, raw text exactly as in the files
/// (not tokenized, original case and punctuation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentencePair {
    /// The German sentence (the usual source).
    pub de: String,
    /// The English sentence (the usual target).
    pub en: String,
}

/// The sentence pairs of one Multi30k split, in file order: line *i* of `X.de` with
/// line *i* of `X.en`.
///
/// ```
/// use ferrograd::data::{Multi30kSplit, load_multi30k};
/// let test = load_multi30k(Multi30kSplit::Test2016).unwrap();
/// assert_eq!(test.len(), 1000);
/// assert!(test[0].de.starts_with("Ein Mann mit einem orangefarbenen Hut"));
/// ```
///
/// # Errors
/// If a file of the split is missing or not UTF-8, or the two files have different
/// numbers of lines.
pub fn load_multi30k(split: Multi30kSplit) -> Result<Vec<SentencePair>, Error> {
    load_multi30k_from(&data_dir().join("multi30k"), split)
}

/// [`load_multi30k`] from another folder holding `<stem>.de` and `<stem>.en` files.
///
/// # Errors
/// As [`load_multi30k`]; the error names the file at fault.
pub fn load_multi30k_from(dir: &Path, split: Multi30kSplit) -> Result<Vec<SentencePair>, Error> {
    let lines = |lang: &str| -> Result<(PathBuf, Vec<String>), Error> {
        let path = dir.join(format!("{}.{lang}", split.stem()));
        let text = read_text_for("load_multi30k", &path)?;
        // One sentence per `\n`-terminated line; `str::lines` would also eat a `\r`.
        let body = text.strip_suffix('\n').unwrap_or(&text);
        let lines = if body.is_empty() {
            Vec::new()
        } else {
            body.split('\n').map(str::to_owned).collect()
        };
        Ok((path, lines))
    };
    let (de_path, de) = lines("de")?;
    let (_, en) = lines("en")?;
    if de.len() != en.len() {
        return Err(file_error(
            "load_multi30k",
            &de_path,
            format!(
                "has {} lines but its English side has {}: the files must pair line by line",
                de.len(),
                en.len()
            ),
        ));
    }
    Ok(de
        .into_iter()
        .zip(en)
        .map(|(de, en)| SentencePair { de, en })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi30k_splits_have_their_documented_sizes() {
        let sizes = [
            (Multi30kSplit::Train, 29_000),
            (Multi30kSplit::Val, 1_014),
            (Multi30kSplit::Test2016, 1_000),
        ];
        for (split, n) in sizes {
            let pairs = load_multi30k(split).unwrap();
            assert_eq!(pairs.len(), n, "{split:?}");
        }
        let train = load_multi30k(Multi30kSplit::Train).unwrap();
        assert_eq!(
            train[0].en,
            "Two young, White males are outside near many bushes."
        );
        // Raw lines: leading/trailing spaces and a tab survive loading.
        assert!(train.iter().any(|p| p.de.contains('\t')));
        assert!(train.iter().any(|p| p.de != p.de.trim()));
    }

    #[test]
    fn multi30k_with_unpaired_files_names_the_file() {
        let dir =
            std::env::temp_dir().join(format!("ferrograd-multi30k-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("val.de"), "Ein Hund.\nZwei Hunde.\n").unwrap();
        std::fs::write(dir.join("val.en"), "A dog.\n").unwrap();
        let e = load_multi30k_from(&dir, Multi30kSplit::Val)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("val.de") && e.contains("has 2 lines but its English side has 1"),
            "{e}"
        );
        let e = load_multi30k_from(&dir, Multi30kSplit::Train)
            .unwrap_err()
            .to_string();
        assert!(e.contains("train.de") && e.contains("cannot read"), "{e}");
    }
}
