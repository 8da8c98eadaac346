//! The tokenizers of `ferrograd::text` on the whole of Multi30k: BPE learned on the
//! training text (German and English together) decodes every sentence of every split
//! back to exactly itself, survives a save/load round trip with the same ids, and
//! shortens sentences compared with characters; the word tokenizer's vocabulary and
//! unknown-word rate behave as documented. Read next: `src/text/mod.rs`.

use ferrograd::data::{Multi30kSplit, SentencePair, load_multi30k};
use ferrograd::text::{Bpe, UNK, WordTokenizer};

fn split(split: Multi30kSplit) -> Vec<SentencePair> {
    load_multi30k(split).unwrap()
}

fn sentences(pairs: &[SentencePair]) -> impl Iterator<Item = &String> + Clone {
    pairs.iter().flat_map(|p| [&p.de, &p.en])
}

#[test]
fn bpe_round_trips_every_multi30k_sentence_and_its_file() {
    let train = split(Multi30kSplit::Train);
    let bpe = Bpe::train(sentences(&train), 10_000);
    assert_eq!(bpe.merges().len(), 10_000);
    let (mut checked, mut tokens, mut chars) = (0, 0, 0);
    for pairs in [
        train,
        split(Multi30kSplit::Val),
        split(Multi30kSplit::Test2016),
    ] {
        for s in sentences(&pairs) {
            let ids = bpe.encode(s);
            assert!(!ids.contains(&UNK), "unknown character in {s:?}");
            assert_eq!(&bpe.decode(&ids), s);
            tokens += ids.len();
            chars += s.chars().count();
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * (29_000 + 1_014 + 1_000));
    // Subwords: about five characters per token on this corpus.
    assert!(chars > 4 * tokens, "{chars} characters in {tokens} tokens");

    let path = std::env::temp_dir().join(format!("ferrograd-multi30k-{}.bpe", std::process::id()));
    bpe.save(&path).unwrap();
    let loaded = Bpe::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.vocab(), bpe.vocab());
    for s in sentences(&split(Multi30kSplit::Val)) {
        assert_eq!(loaded.encode(s), bpe.encode(s));
    }
}

#[test]
fn word_vocabulary_shrinks_with_min_count_and_leaves_unknown_words() {
    let train = split(Multi30kSplit::Train);
    let all = WordTokenizer::train(sentences(&train), 1);
    let common = WordTokenizer::train(sentences(&train), 2);
    // 28,058 distinct words in the two languages; 14,551 of them occur twice or more
    // (and 4 special tokens).
    assert_eq!((all.vocab_size(), common.vocab_size()), (28_062, 14_555));
    // Every training word is known at min_count 1; test sentences still hit <unk>.
    assert!(sentences(&train).all(|s| !all.encode(s).contains(&UNK)));
    let test = split(Multi30kSplit::Test2016);
    let ids: Vec<u32> = sentences(&test).flat_map(|s| common.encode(s)).collect();
    let unk = ids.iter().filter(|&&id| id == UNK).count();
    // 678 of 25,329 test words (2.7%) were seen fewer than twice in training.
    assert_eq!((unk, ids.len()), (678, 25_329));
}
