//! The parts of the word2vec example (`examples/word2vec/`), tested on hand-sized
//! cases: the Huffman tree, the negative-sampling table, sub-sampling, the batch
//! stream, the sparse SGD update, a seeded training run on a two-topic toy corpus,
//! the evaluation code (analogies, ranks, Spearman ρ) and the PCA of the picture. The full-corpus runs are
//! not tests (minutes, not seconds); their figures are in the README.

#[allow(dead_code)]
#[path = "../examples/word2vec/batch.rs"]
mod batch;
#[allow(dead_code)]
#[path = "../examples/word2vec/eval.rs"]
mod eval;
#[allow(dead_code)]
#[path = "../examples/word2vec/huffman.rs"]
mod huffman;
#[allow(dead_code)]
#[path = "../examples/word2vec/pca.rs"]
mod pca;
#[allow(dead_code)]
#[path = "../examples/word2vec/sampling.rs"]
mod sampling;
#[allow(dead_code)]
#[path = "../examples/word2vec/train.rs"]
mod train;
#[allow(dead_code)]
#[path = "../examples/word2vec/vocab.rs"]
mod vocab;

use batch::{Arch, Batch, Batcher, Objective};
use eval::Embeddings;
use ferrograd::autograd::RowGradient;
use ferrograd::prelude::*;
use huffman::Huffman;
use sampling::{NegativeTable, Rng, keep_probabilities};
use vocab::{Corpus, Vocab};

#[test]
fn huffman_codes_and_paths_of_a_four_word_vocabulary() {
    // the:5 of:3 cat:2 sat:1 → n0 = sat + cat (3); tie n0 (3) vs of (3): the inner
    // node goes first (bit 0), n1 = n0 + of (6); n2 = the (5, bit 0) + n1 (6, bit 1)
    let tree = Huffman::new(&[5, 3, 2, 1]);
    assert_eq!(
        tree.codes,
        vec![vec![0], vec![1, 1], vec![1, 0, 1], vec![1, 0, 0]]
    );
    assert_eq!(
        tree.paths,
        vec![vec![2], vec![2, 1], vec![2, 1, 0], vec![2, 1, 0]]
    );
    assert_eq!(tree.inner_nodes(), 3);
}

#[test]
fn huffman_is_prefix_free_complete_and_near_the_entropy() {
    let counts: Vec<u64> = (1..=200).map(|r| 100_000 / r).collect(); // Zipf
    let tree = Huffman::new(&counts);
    // Kraft: a complete binary tree has Σ 2^−len = 1
    let kraft: f64 = tree.codes.iter().map(|c| 0.5f64.powi(c.len() as i32)).sum();
    assert!((kraft - 1.0).abs() < 1e-12, "Kraft sum {kraft}");
    for (i, a) in tree.codes.iter().enumerate() {
        for b in &tree.codes[i + 1..] {
            let n = a.len().min(b.len());
            assert_ne!(a[..n], b[..n], "one code is a prefix of another");
        }
    }
    // every path starts at the root (row V − 2) and codes grow as counts fall
    assert!(tree.paths.iter().all(|p| p[0] == 198));
    assert!(tree.codes[0].len() <= tree.codes[199].len());
    // Huffman: entropy ≤ mean length < entropy + 1
    let total: f64 = counts.iter().sum::<u64>() as f64;
    let p = counts.iter().map(|&c| c as f64 / total);
    let entropy: f64 = p.clone().map(|p| -p * p.log2()).sum();
    let mean: f64 = p.zip(&tree.codes).map(|(p, c)| p * c.len() as f64).sum();
    assert!(
        entropy <= mean && mean < entropy + 1.0,
        "H {entropy}, mean {mean}"
    );
}

#[test]
#[should_panic(expected = "Huffman: hierarchical softmax needs at least 2 words, got 1")]
fn huffman_needs_two_words() {
    Huffman::new(&[7]);
}

#[test]
fn negative_table_follows_unigram_to_the_three_quarters() {
    let counts = [1000u64, 200, 50, 16, 1];
    let table = NegativeTable::new(&counts, 0.75);
    let weights: Vec<f64> = counts.iter().map(|&c| (c as f64).powf(0.75)).collect();
    let total: f64 = weights.iter().sum();
    // 1000^0.75 = 177.8, 16^0.75 = 8: the rare words rise above their unigram share
    for (p, w) in table.probabilities().iter().zip(&weights) {
        assert!(
            (p - w / total).abs() < 1e-8,
            "table {p}, exact {}",
            w / total
        );
    }
    // and the draws follow it: 200k draws, each share within 5 standard errors
    let mut rng = Rng::new(3);
    let mut seen = [0usize; 5];
    let draws = 200_000;
    (0..draws).for_each(|_| seen[table.draw(&mut rng) as usize] += 1);
    for (i, &n) in seen.iter().enumerate() {
        let p = weights[i] / total;
        let se = (p * (1.0 - p) / draws as f64).sqrt();
        let share = n as f64 / draws as f64;
        assert!(
            (share - p).abs() < 5.0 * se,
            "word {i}: drawn {share}, expected {p}"
        );
    }
}

#[test]
fn sub_sampling_keeps_frequent_words_less_often() {
    // N = 10,000, s = 0.01 → threshold t = s·N = 100 counts; keep = (√(c/t) + 1)·t/c
    let keep = keep_probabilities(&[6400, 2500, 900, 100, 100], 0.01);
    let expected = [9.0 * 100.0 / 6400.0, 6.0 / 25.0, 4.0 / 9.0, 1.0, 1.0]; // last: 2 → capped at 1
    for (k, e) in keep.iter().zip(expected) {
        assert!((k - e).abs() < 1e-12, "{keep:?}");
    }
    assert_eq!(keep_probabilities(&[6400, 100], 0.0), vec![1.0, 1.0]); // off
    // the batcher drops words at that rate: word 0 kept ≈ 14.1% of the time
    let sentences = vec![vec![0u32; 20_000]];
    let (raw, keep) = (vec![20_000u32], vec![0.140625, 1.0]);
    let table = NegativeTable::new(&[1, 1], 1.0);
    let objective = Objective::Negative(0, &table);
    let mut batcher = Batcher::new(
        (&sentences, &raw),
        &keep,
        Arch::Cbow,
        objective,
        1,
        Rng::new(5),
    );
    let mut batch = Batch::default();
    batcher.fill(&mut batch, usize::MAX);
    // CBOW with window 1 and no negatives: one decision per kept word with a neighbour
    let kept = batch.len() as f64 / 20_000.0;
    assert!((kept - 0.140625).abs() < 0.01, "kept {kept}");
}

/// A two-topic toy corpus: sentences draw only from `a0..a5` or only from `b0..b5`.
fn toy_lines(sentences: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..sentences)
        .map(|s| {
            let topic = if s % 2 == 0 { 'a' } else { 'b' };
            (0..8)
                .map(|_| format!("{topic}{}", rng.below(6)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn toy_config(arch: Arch, hs: bool) -> train::Config {
    train::Config {
        arch,
        hs,
        dim: 12,
        window: 2,
        negative: 3,
        sample: 0.0,
        epochs: 4,
        alpha: 0.05,
        batch: 256,
        threads: 1,
        progress: false,
        ..Default::default()
    }
}

#[test]
fn batches_hold_the_right_decisions() {
    let lines = toy_lines(50, 1);
    let vocab = Vocab::build(lines.iter().map(String::as_str), 1);
    let corpus = Corpus::encode(lines.iter().map(String::as_str), &vocab);
    assert_eq!((vocab.len(), corpus.raw_words()), (12, 400));
    let keep = vec![1.0; vocab.len()];
    let table = NegativeTable::new(&vocab.counts, 0.75);
    let tree = Huffman::new(&vocab.counts);
    let sentences = (&corpus.sentences[..], &corpus.raw_lengths[..]);
    // skip-gram + negatives: one positive per (context, centre) pair, then up to K
    // negatives, never the positive word itself
    let objective = Objective::Negative(5, &table);
    let mut sg = Batcher::new(sentences, &keep, Arch::SkipGram, objective, 3, Rng::new(2));
    let mut batch = Batch::default();
    assert_eq!(sg.fill(&mut batch, usize::MAX), Some(400));
    let mut positive = None;
    for (&out, &label) in batch.outputs.iter().zip(&batch.labels) {
        if label == 1.0 {
            positive = Some(out);
        } else {
            assert_ne!(
                Some(out),
                positive,
                "a negative equal to the target was kept"
            );
        }
    }
    assert!(sg.fill(&mut batch, 10).is_none(), "the epoch is over");
    // CBOW + hierarchical softmax: one decision per node on the centre's path
    let objective = Objective::Hierarchical(&tree);
    let mut cbow = Batcher::new(sentences, &keep, Arch::Cbow, objective, 2, Rng::new(2));
    cbow.fill(&mut batch, usize::MAX);
    let path_lengths: usize = corpus
        .sentences
        .iter()
        .flatten()
        .map(|&w| tree.paths[w as usize].len())
        .sum();
    assert_eq!(batch.len(), path_lengths); // every word has a neighbour in 8-word sentences
    assert_eq!(batch.inputs.len(), batch.groups() * 4);
    // windows are padded with row V = 12; 1/inv_count counts the real context words
    let real = batch.inputs.iter().filter(|&&w| w != 12).count() as f32;
    let counted: f32 = batch.inv_count.iter().map(|c| 1.0 / c).sum();
    assert!((real - counted).abs() < 1e-3 && real < batch.inputs.len() as f32);
}

#[test]
fn sparse_sgd_updates_only_the_touched_rows_in_place() {
    let mut table = Tensor::from_vec((0..8).map(|v| v as f32).collect(), &[4, 2]);
    let grad = RowGradient {
        indices: vec![2, 0, 2],
        rows: Tensor::from_vec(vec![1.0, 1.0, 2.0, 2.0, 3.0, 3.0], &[3, 2]),
        num_rows: 4,
    };
    train::sgd_rows(&mut table, &grad, 0.5);
    // row 0: [0, 1] − 0.5·[2, 2]; row 2: [4, 5] − 0.5·([1, 1] + [3, 3]); rows 1, 3 as they were
    let after = [-1.0, 0.0, 2.0, 3.0, 2.0, 3.0, 6.0, 7.0];
    assert_eq!(table.to_vec::<f32>(), after);
}

/// Train on the toy corpus; return the per-epoch losses and the embeddings.
fn train_toy(arch: Arch, hs: bool, threads: usize) -> (Vec<f64>, Embeddings) {
    let lines = toy_lines(600, 7);
    let vocab = Vocab::build(lines.iter().map(String::as_str), 1);
    let corpus = Corpus::encode(lines.iter().map(String::as_str), &vocab);
    let config = train::Config {
        threads,
        ..toy_config(arch, hs)
    };
    let (tables, stats) = train::train(&corpus, &vocab, &config);
    assert_eq!(stats.raw_words, 4 * 600 * 8);
    (
        stats.epoch_losses,
        Embeddings::new(vocab.words.clone(), &tables.word_vectors()),
    )
}

#[test]
fn a_seeded_toy_run_learns_the_two_topics_in_all_four_variants() {
    for (arch, hs) in [
        (Arch::SkipGram, false),
        (Arch::SkipGram, true),
        (Arch::Cbow, false),
        (Arch::Cbow, true),
    ] {
        let (losses, emb) = train_toy(arch, hs, 1);
        let what = format!("{arch:?} hs={hs}: losses {losses:?}");
        assert!(
            losses[3] < 0.95 * losses[0],
            "the loss did not fall: {what}"
        );
        for word in ["a0", "a3", "b1", "b5"] {
            let neighbours = emb.most_similar(&[word], &[], 3);
            assert!(
                neighbours
                    .iter()
                    .all(|(w, _)| w.as_bytes()[0] == word.as_bytes()[0]),
                "{word}'s neighbours {neighbours:?} cross topics: {what}"
            );
        }
    }
}

#[test]
fn runs_are_deterministic_for_a_seed_and_thread_count() {
    let (loss_a, emb_a) = train_toy(Arch::SkipGram, false, 2);
    let (loss_b, emb_b) = train_toy(Arch::SkipGram, false, 2);
    assert_eq!(loss_a, loss_b);
    assert_eq!(emb_a.unit().to_vec::<f32>(), emb_b.unit().to_vec::<f32>());
}

fn toy_embeddings() -> Embeddings {
    let words = ["man", "woman", "king", "queen", "apple", "x", "y"];
    #[rustfmt::skip]
    let vectors = Tensor::from_vec(vec![
        1.0, 0.0, 0.0,   // man
        0.0, 1.0, 0.0,   // woman
        1.0, 0.0, 1.0,   // king  = man + royal
        0.0, 1.0, 1.0,   // queen = woman + royal
        0.5, 0.5, -1.0,  // apple
        2.0, 0.0, 0.0,   // x: same direction as man, twice as long
        0.0, 0.0, 3.0,   // y
    ], &[7, 3]);
    Embeddings::new(words.iter().map(|w| w.to_string()).collect(), &vectors)
}

#[test]
fn analogies_are_scored_by_hand() {
    let emb = toy_embeddings();
    // vectors are normalised: x and man are the same unit vector
    assert!((emb.similarity("x", "man").unwrap() - 1.0).abs() < 1e-6);
    assert!((emb.similarity("king", "y").unwrap() - 0.5f64.sqrt()).abs() < 1e-6);
    let questions = "\
: family
man woman king queen
Man King Woman Queen
man woman king unknown
: gram1-toy
woman man queen apple
";
    // q1: king/√2 − man + woman = (−0.29, 1, 0.71) → queen (excluding man, woman, king)
    // q2: lower-cased; king/√2 − man + woman again → queen
    // q3: not scored (unknown word); q4: queen/√2 − woman + man = (1, −0.29, 0.71)
    //     → cos with king 0.96, x 0.79, y 0.56, apple −0.23: answers king, not apple
    let sections = eval::analogies(&emb, questions);
    let got: Vec<(usize, usize, usize)> = sections
        .iter()
        .map(|s| (s.correct, s.scored, s.total))
        .collect();
    assert_eq!(got, vec![(2, 2, 3), (0, 1, 1)]);
    assert!(sections[0].is_semantic() && !sections[1].is_semantic());
    let all = eval::total(&sections, "all", |_| true);
    assert_eq!((all.correct, all.scored, all.total), (2, 3, 4));
    assert!((all.accuracy() - 2.0 / 3.0).abs() < 1e-12);
    let nearest = emb.most_similar(&["king", "woman"], &["man"], 2);
    assert_eq!(nearest[0].0, "queen");
    assert_eq!(emb.most_similar(&["man"], &[], 1)[0].0, "x");
}

#[test]
fn ranks_and_spearman_by_hand() {
    assert_eq!(
        eval::ranks(&[10.0, 30.0, 20.0, 20.0]),
        vec![1.0, 4.0, 2.5, 2.5]
    );
    // x ranks [1..5], y = [5, 6, 7, 8, 7] ranks [1, 2, 3.5, 5, 3.5]:
    // deviations [−2, −1, 0, 1, 2] and [−2, −1, 0.5, 2, 0.5] → ρ = 8 / √(10 · 9.5)
    let rho = eval::pearson(
        &eval::ranks(&[1.0, 2.0, 3.0, 4.0, 5.0]),
        &eval::ranks(&[5.0, 6.0, 7.0, 8.0, 7.0]),
    );
    assert!((rho - 8.0 / 95f64.sqrt()).abs() < 1e-12, "{rho}");
    let emb = toy_embeddings();
    // cos: king·queen 0.5, man·x 1, man·woman 0; human scores in the same order → ρ = 1
    let pairs =
        "# comment\n# another\nking\tqueen\t5.0\nMan\tx\t9.0\nman\twoman\t1.0\nman\tzebra\t3.0\n";
    let score = eval::word_pairs(&emb, pairs);
    assert_eq!((score.scored, score.oov), (3, 1));
    assert!((score.spearman - 1.0).abs() < 1e-12);
}

#[test]
fn pca_finds_the_two_directions_of_largest_spread() {
    // Points ±2 along (1, 1, 0) and ±1 along (0, 0, 1), mean 0: the first component is
    // (1, 1, 0)/√2 (variance 4), the second (0, 0, 1) (variance 0.5); up to sign the
    // coordinates are (∓2√2, 0) and (0, ±1).
    let rows = vec![
        vec![-2.0f32, -2.0, 0.0],
        vec![2.0, 2.0, 0.0],
        vec![0.0, 0.0, 1.0],
        vec![0.0, 0.0, -1.0],
    ];
    let points = pca::pca_2d(&rows);
    let expected = [
        (8f64.sqrt(), 0.0),
        (8f64.sqrt(), 0.0),
        (0.0, 1.0),
        (0.0, 1.0),
    ];
    for ((x, y), (ex, ey)) in points.iter().zip(expected) {
        assert!(
            (x.abs() - ex).abs() < 1e-9 && (y.abs() - ey).abs() < 1e-9,
            "{points:?}"
        );
    }
    assert!(
        points[0].0 * points[1].0 < 0.0,
        "opposite ends of the first axis"
    );
}
