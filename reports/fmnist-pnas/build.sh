#!/usr/bin/env bash
# The shipped Fashion-MNIST table (issue 15, item 4) under the `fmnist` preset: every one of
# the 136 B1 cells x 3 seeds, then 100 uniformly sampled cells of each of B2..B5 x 2 seeds,
# into ONE resumable folder (both builds share the protocol; the second adds to the first).
# Re-run this script after an interruption: finished models are skipped. Needs the official
# files: apt-get install -y dataset-fashion-mnist (or put them in $NASBENCH_DATA/fashion_mnist).
# Measured: about 1.8 h of wall time on 2 cores (shared with other work).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/root/nasbench-work/fmnist-pnas}   # outside the worktree: survives, resumes
WORKERS=${WORKERS:-2}
nasbench build --exhaustive --blocks 1 --seeds 0-2 --protocol fmnist --out "$OUT" --workers "$WORKERS"
nasbench build --sample 100 --blocks 2-5 --seeds 0,1 --protocol fmnist --out "$OUT" --workers "$WORKERS"
nasbench table validate -t "$OUT"
for dest in tables/fmnist-pnas nasbench/shipped_tables/fmnist-pnas; do
  mkdir -p "$dest"
  cp "$OUT"/{runs.parquet,curves.parquet} "$dest/"
  nasbench table datasheet -t "$dest" --command \
    "OUT=$OUT reports/fmnist-pnas/build.sh  # B1 exhaustive x seeds 0-2, then --sample 100 --blocks 2-5 --seeds 0,1"
done
nasbench info -t tables/fmnist-pnas | grep -E "Spearman|collapsed"
nasbench analyze report --table tables/fmnist-pnas --out reports/fmnist-pnas \
  --notes reports/fmnist-pnas/notes.md --transfer-from tables/digits-pnas --transfer-where "num_blocks == 1"
