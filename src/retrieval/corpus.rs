//! Multi30k as a cross-lingual retrieval task: the German sentence is the query, its
//! English translation the one relevant document.
//!
//! ```text
//! tokenizer   one BPE vocabulary learned on the German and English training text
//! train       29,000 (German, English) pairs          training pairs
//! test        1,000 test2016 pairs                    candidates: the 1,000 English
//! harder      test2016 queries against the 1,000 English + the training English
//!             (minus training sentences equal to a test one: a duplicate text is
//!             not a wrong answer)
//! ```
//! Read next: `tower.rs`.

use std::collections::HashMap;

use tensor::Error;

use crate::data::{Multi30kSplit, load_multi30k};
use crate::text::Bpe;

/// Queries and their documents, tokenized, with the raw text.
#[derive(Clone, Debug, Default)]
pub struct RetrievalSplit {
    /// Token ids of each query (German).
    pub queries: Vec<Vec<u32>>,
    /// Token ids of each document (English); query `i`'s document is `documents[i]`.
    pub documents: Vec<Vec<u32>>,
    /// The query sentences.
    pub query_text: Vec<String>,
    /// The document sentences.
    pub document_text: Vec<String>,
}

impl RetrievalSplit {
    /// Number of (query, document) pairs.
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// Whether the split holds no pairs.
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }

    /// The first `n` pairs (all when fewer), for short runs.
    pub fn truncated(&self, n: usize) -> RetrievalSplit {
        let n = n.min(self.len());
        RetrievalSplit {
            queries: self.queries[..n].to_vec(),
            documents: self.documents[..n].to_vec(),
            query_text: self.query_text[..n].to_vec(),
            document_text: self.document_text[..n].to_vec(),
        }
    }

    /// A number per document, equal for equal texts (first occurrence order).
    pub fn text_groups(&self) -> Vec<usize> {
        let mut seen = HashMap::new();
        (self.document_text.iter())
            .map(|t| {
                let next = seen.len();
                *seen.entry(t.as_str()).or_insert(next)
            })
            .collect()
    }
}

/// Multi30k for retrieval: the tokenizer, the training pairs and the test2016 pairs.
pub struct Multi30kRetrieval {
    /// BPE learned on the German and English training sentences together.
    pub tokenizer: Bpe,
    /// The 29,000 training pairs.
    pub train: RetrievalSplit,
    /// The 1,000 test2016 pairs.
    pub test: RetrievalSplit,
}

impl Multi30kRetrieval {
    /// Load `data/multi30k/` and learn a BPE vocabulary of `merges` merges.
    ///
    /// ```no_run
    /// use ferrograd::retrieval::Multi30kRetrieval;
    /// let data = Multi30kRetrieval::load(8_000).unwrap();
    /// assert_eq!((data.train.len(), data.test.len()), (29_000, 1_000));
    /// ```
    ///
    /// # Errors
    /// If the Multi30k files cannot be read (see `load_multi30k`).
    pub fn load(merges: usize) -> Result<Multi30kRetrieval, Error> {
        let (train, test) = (
            load_multi30k(Multi30kSplit::Train)?,
            load_multi30k(Multi30kSplit::Test2016)?,
        );
        let tokenizer = Bpe::train(train.iter().flat_map(|p| [&p.de, &p.en]), merges);
        let split = |pairs: &[crate::data::SentencePair]| RetrievalSplit {
            queries: pairs.iter().map(|p| tokenizer.encode(&p.de)).collect(),
            documents: pairs.iter().map(|p| tokenizer.encode(&p.en)).collect(),
            query_text: pairs.iter().map(|p| p.de.clone()).collect(),
            document_text: pairs.iter().map(|p| p.en.clone()).collect(),
        };
        let (train, test) = (split(&train), split(&test));
        Ok(Multi30kRetrieval {
            tokenizer,
            train,
            test,
        })
    }

    /// The harder candidate set: the test documents first (so test query `i`'s
    /// document is still row `i`), then every training document whose text is not a
    /// test document's. Token ids and texts.
    pub fn harder_candidates(&self) -> (Vec<Vec<u32>>, Vec<String>) {
        let test: std::collections::HashSet<&str> =
            self.test.document_text.iter().map(String::as_str).collect();
        let extra = (self.train.documents.iter())
            .zip(&self.train.document_text)
            .filter(|(_, t)| !test.contains(t.as_str()));
        let (mut ids, mut texts) = (self.test.documents.clone(), self.test.document_text.clone());
        for (d, t) in extra {
            ids.push(d.clone());
            texts.push(t.clone());
        }
        (ids, texts)
    }
}
