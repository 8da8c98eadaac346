#!/usr/bin/env bash
# Run the search benchmark of one data set with the two sides alternating:
#   bash benches/search/run.sh mnist 3        (data set, number of sittings)
# ferrograd, then faiss + hnswlib, repeated; then the report (table, ratios, PNG).
# Prepare the data first: cargo bench --bench search -- prepare mnist
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:?data set: mnist, word2vec or synthetic}
sittings=${2:-3}
python=${PYTHON:-/work/venv-ref/bin/python}
cargo bench --bench search --no-run
rm -f "target/search-bench/$name.tsv"
for s in $(seq 1 "$sittings"); do
    cargo bench -q --bench search -- run "$name" --sitting "$s"
    "$python" benches/search/reference.py "$name" --sitting "$s"
done
cargo bench -q --bench search -- report "$name"
