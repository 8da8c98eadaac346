//! `ferrograd::text::bleu` against sacreBLEU 2.6.0: every case of
//! `tests/fixtures/bleu/` (made by `make_bleu_fixtures.py` there) scored with both
//! tokenizers, cased and lower-cased, must give sacreBLEU's score to two decimals
//! (in fact to 1e-9) and exactly its n-gram counts, totals and lengths; and the `13a`
//! tokenizer must turn every tricky line into exactly sacreBLEU's tokens.
//! Read next: `src/text/bleu/mod.rs`.

use std::path::Path;

use ferrograd::text::bleu::{Bleu, Tokenize};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The lines of a fixture file (every line ends in `\n`; lines may be empty).
fn lines(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let body = text
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("{path} does not end in a newline"));
    body.split('\n').map(str::to_owned).collect()
}

/// The rows of a tab-separated fixture, without its header.
fn table(name: &str) -> Vec<Vec<String>> {
    lines(&format!("tests/fixtures/bleu/{name}"))
        .iter()
        .skip(1)
        .map(|row| row.split('\t').map(str::to_owned).collect())
        .collect()
}

fn numbers(field: &str) -> Vec<usize> {
    field.split(',').map(|n| n.parse().unwrap()).collect()
}

#[test]
fn corpus_bleu_equals_sacrebleu_on_every_fixture() {
    let cases = table("cases.tsv");
    let scores = table("scores.tsv");
    assert_eq!(scores.len(), cases.len() * 4);
    let mut checked = 0;
    for case in &cases {
        let hypotheses = lines(&case[1]);
        let references: Vec<Vec<String>> = case[2].split(',').map(lines).collect();
        for row in scores.iter().filter(|row| row[0] == case[0]) {
            let tokenize = match row[1].as_str() {
                "13a" => Tokenize::Tok13a,
                "none" => Tokenize::None,
                other => panic!("unknown tokenizer {other}"),
            };
            let bleu = Bleu::new().tokenize(tokenize).lowercase(row[2] == "lc");
            let ours = bleu.corpus_score(&hypotheses, &references);
            let what = format!("{} tok:{} {}: {ours}", row[0], row[1], row[2]);
            let expected: f64 = row[3].parse().unwrap();
            assert_eq!(
                format!("{:.2}", ours.score),
                format!("{expected:.2}"),
                "{what}"
            );
            assert!(
                (ours.score - expected).abs() < 1e-9,
                "{what}: sacreBLEU {expected}"
            );
            assert_eq!(ours.counts.to_vec(), numbers(&row[4]), "{what}: counts");
            assert_eq!(ours.totals.to_vec(), numbers(&row[5]), "{what}: totals");
            assert_eq!(
                (ours.sys_len, ours.ref_len),
                (row[6].parse().unwrap(), row[7].parse().unwrap()),
                "{what}"
            );
            assert!(
                (ours.bp - row[8].parse::<f64>().unwrap()).abs() < 1e-12,
                "{what}: bp"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, scores.len());
}

#[test]
fn published_sanity_values_are_reproduced() {
    // sacreBLEU 2.6.0 on Multi30k test2016: the German source as a "translation"
    // scores 0.48; the lower-cased reference 89.81 cased and 100 lower-cased.
    let refs = [lines("data/multi30k/test_2016_flickr.en")];
    let source = lines("data/multi30k/test_2016_flickr.de");
    assert_eq!(
        format!("{:.2}", Bleu::new().corpus_score(&source, &refs).score),
        "0.48"
    );
    let lowered: Vec<String> = refs[0].iter().map(|s| s.to_lowercase()).collect();
    let cased = Bleu::new().corpus_score(&lowered, &refs);
    assert_eq!(format!("{:.2}", cased.score), "89.81");
    assert_eq!(
        cased.signature,
        "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"
    );
    let lower = Bleu::new().lowercase(true).corpus_score(&lowered, &refs);
    assert_eq!(format!("{:.2}", lower.score), "100.00");
}

#[test]
fn tokenizer_13a_equals_sacrebleu_line_by_line() {
    let input = lines("tests/fixtures/bleu/tokenize_13a.input");
    for (lowercase, suffix) in [(false, "cased"), (true, "lower")] {
        let expected = lines(&format!("tests/fixtures/bleu/tokenize_13a.{suffix}"));
        assert_eq!(expected.len(), input.len());
        let bleu = Bleu::new().lowercase(lowercase);
        for (line, want) in input.iter().zip(&expected) {
            assert_eq!(&bleu.preprocess(line), want, "{suffix} {line:?}");
        }
    }
}
