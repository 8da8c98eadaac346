"""The gensim side of the word2vec results table (README, examples/word2vec/main.rs).

Trains gensim's Word2Vec on the same corpus with the same settings as
`cargo run --release --example word2vec` and evaluates it with the protocol of
data/word2vec/README.md. Run it from the repository root in a venv outside the repo:

    python3 -m venv /work/venv-w2v && /work/venv-w2v/bin/pip install gensim scipy
    /work/venv-w2v/bin/python examples/word2vec/gensim_reference.py --model sg
    /work/venv-w2v/bin/python examples/word2vec/gensim_reference.py --model cbow

Only training is timed (vocabulary building is not): wall seconds and process CPU
seconds (all threads), and raw corpus words per CPU-second = epochs x tokens / CPU-s.
"""
import argparse
import gzip
import os
import time

from gensim.models import Word2Vec

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "word2vec")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["sg", "cbow"], default="sg")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lines", type=int, default=None, help="use a corpus prefix")
    a = p.parse_args()

    with gzip.open(os.path.join(DATA, "enwiki_2015_3m.txt.gz"), "rt") as f:
        sentences = [line.split() for line in f]
    sentences = sentences[: a.lines]
    raw_words = sum(len(s) for s in sentences)
    model = Word2Vec(vector_size=100, window=5, negative=5, hs=0, min_count=5,
                     sample=1e-3, alpha=0.025, min_alpha=0.0001,
                     sg=1 if a.model == "sg" else 0, workers=a.workers, seed=a.seed)
    model.build_vocab(sentences)
    print(f"corpus: {len(sentences)} lines, {raw_words} raw words; "
          f"vocabulary {len(model.wv)} words")
    wall, cpu = time.perf_counter(), time.process_time()
    model.train(sentences, total_examples=len(sentences), epochs=a.epochs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    words = a.epochs * raw_words
    print(f"gensim {a.model}, {a.epochs} epochs, {a.workers} worker(s): trained in "
          f"{wall:.1f} s ({cpu:.1f} CPU-s): {words / cpu:.0f} raw words per CPU-second, "
          f"{words / wall:.0f} per second")

    wv = model.wv
    score, sections = wv.evaluate_word_analogies(
        os.path.join(DATA, "questions-words.txt"), restrict_vocab=300000,
        case_insensitive=True)
    print("analogies, questions scored:")
    for s in sections:
        n = len(s["correct"]) + len(s["incorrect"])
        print(f"  {s['section']:<28} {100 * len(s['correct']) / max(n, 1):6.2f}%  {n:5}")
    semantic = [s for s in sections[:5]]
    syntactic = [s for s in sections[5:-1]]
    for label, group in [("semantic", semantic), ("syntactic", syntactic)]:
        right = sum(len(s["correct"]) for s in group)
        n = right + sum(len(s["incorrect"]) for s in group)
        print(f"  {label:<28} {100 * right / max(n, 1):6.2f}%  {n:5}")
    print(f"  {'all':<28} {100 * score:6.2f}%")
    for name, file in [("WordSim-353", "wordsim353.tsv"), ("SimLex-999", "simlex999.txt")]:
        pearson, spearman, oov = wv.evaluate_word_pairs(
            os.path.join(DATA, file), case_insensitive=True)
        print(f"{name}: Spearman rho {spearman.statistic:.3f}, Pearson r "
              f"{pearson.statistic:.3f}, {oov:.1f}% pairs with an unknown word")
    show = lambda pairs: ", ".join(f"{w} {s:.2f}" for w, s in pairs)
    for label, positive, negative in [("france", ["france"], []), ("two", ["two"], []),
                                      ("computer", ["computer"], []),
                                      ("king - man + woman", ["king", "woman"], ["man"])]:
        if all(w in wv for w in positive + negative):
            print(f"  {label:<22} -> {show(wv.most_similar(positive, negative, topn=5))}")

if __name__ == "__main__":
    main()
