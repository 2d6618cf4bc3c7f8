#!/usr/bin/env bash
# The closed-replay experiment (issue 16 item 5; issue 18's syne-tune arms): PNAS with
# K in {8, 16, 32}, surrogates lstm / mlp_ensemble / xgboost, parents all / topk (18 arms)
# against RL (REINFORCE and PPO), regularized evolution, random search and syne-tune's ASHA,
# BOHB and REA, on the closed table, 50 replay seeds each, every query answered by ONE
# randomly drawn training seed (the selected cells are then scored on their held-out seeds).
# Budget: 700 models = 10x PNAS's largest total (36 B1 cells + K=32). PNAS's xgboost gets
# min_child_weight=1: with the NAS-Bench-301 default (39) its trees cannot split on 36 rows.
# Then item 6: the surrogates on the step PNAS takes (trained on every B1 cell, ranking every
# B2 cell: Kendall, Spearman, precision@K for the beams K = 8, 16, 32 and top-25, against the
# params baseline) into OUT/predictors.
# Usage: reports/search-closed/run.sh [TABLE] [OUT]
#   e.g. reports/search-closed/run.sh tables/fmnist-pnas3-closed reports/search-closed-pnas3
# Cost, measured on fmnist-pnas3-closed (2 cores): searches 23 min 46 s (PNAS-LSTM and st:BOHB
# are the slow arms), report about 6 min (bootstrap), predictor section about 3 min.
# A report can be rendered again from OUT/trajectories.parquet: add --report-only to the
# compare command (its README's Regenerate line).
set -euo pipefail
cd "$(dirname "$0")/../.."
TABLE=${1:-tables/fmnist-pnas4-closed}
OUT=${2:-reports/search-closed}
SEEDS=${SEEDS:-50}
ARMS=""
for K in 8 16 32; do
  for parents in all topk; do
    ARMS+="pnas[Bmax=2,K=$K,parents=$parents,surrogate=lstm],"
    ARMS+="pnas[Bmax=2,K=$K,parents=$parents,surrogate=mlp_ensemble],"
    ARMS+="pnas[Bmax=2,K=$K,parents=$parents,surrogate=xgboost,surrogate_params={\"min_child_weight\":1}],"
  done
done
ARMS+="rl,ppo,evolution,random,st:ASHA,st:BOHB,st:REA"
nasbench search compare -t "$TABLE" --algorithms "$ARMS" --n-seeds "$SEEDS" \
  --budget-models 700 --seed-policy random --miss error --workers "${WORKERS:-2}" --progress \
  -o "$OUT"
nasbench predictor eval -t "$TABLE" --sizes 20,100,500 --n-seeds 5 \
  --top-k 8 --top-k 16 --top-k 25 --top-k 32 --progress -o "$OUT/predictors"
