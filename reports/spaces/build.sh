#!/usr/bin/env bash
# Cross-space study (issue: more design spaces): >= 100 uniformly sampled models per space,
# trained under the `digits` protocol, restricted to <= 300k parameters (the NDS way of
# comparing spaces at one complexity). Every build resumes: re-run this script after an
# interruption. PNAS is taken from the shipped table (its B5 cells within the same window).
# FINDINGS.md / FAMILIES.md hold the hand-written reading of the numbers; the reports embed them.
set -euo pipefail
OUT=${OUT:-out/spaces}
WORKERS=${WORKERS:-2}
CELL_SPACES=(nasnet amoeba enas darts)            # PNAS comes from tables/digits-pnas
FAMILIES=(vanilla resnet resnext_a resnext_b)
TABLES=reports/spaces/tables  # the compacted tables (not the shards), committed with the report
all=(--table tables/digits-pnas)
for space in "${CELL_SPACES[@]}" "${FAMILIES[@]}"; do
  nasbench build --space "$space" --sample 100 --max-params 300000 --seeds 0 --protocol digits \
    --out "$OUT/$space" --workers "$WORKERS" --no-progress
  mkdir -p "$TABLES/$space"
  cp "$OUT/$space"/{runs.parquet,curves.parquet,TABLE.md,build.json} "$TABLES/$space/"
  all+=(--table "$TABLES/$space")
done
nasbench analyze report "${all[@]}" --group-by space \
  --where "(space != 'pnas' or num_blocks == 5) and params <= 300000" \
  --notes reports/spaces/FINDINGS.md --out reports/spaces
families=()
for space in "${FAMILIES[@]}"; do
  families+=(--table "$TABLES/$space")
done
nasbench analyze report "${families[@]}" --group-by space --notes reports/spaces/FAMILIES.md \
  --out reports/spaces/families
