#!/usr/bin/env bash
# Cross-space study (issue: more design spaces): >= 100 uniformly sampled models per space,
# trained under the `digits` protocol, restricted to <= 300k parameters (the NDS way of
# comparing spaces at one complexity). Every build resumes: re-run this script after an
# interruption. PNAS is taken from the shipped table (its B5 cells within the same window).
# FINDINGS.md / FAMILIES.md hold the hand-written reading of the numbers; the reports embed them.
set -euo pipefail
OUT=${OUT:-out/spaces}
WORKERS=${WORKERS:-2}
for space in darts enas amoeba nasnet resnext_a vanilla resnet resnext_b; do
  nasbench build --space "$space" --sample 100 --max-params 300000 --seeds 0 --protocol digits \
    --out "$OUT/$space" --workers "$WORKERS" --no-progress
done
# The compacted tables (not the shards) are committed next to the report, so the analysis
# can be re-run without training anything.
TABLES=reports/spaces/tables
for space in nasnet amoeba enas darts vanilla resnet resnext_a resnext_b; do
  mkdir -p "$TABLES/$space"
  cp "$OUT/$space"/{runs.parquet,curves.parquet,TABLE.md,build.json} "$TABLES/$space/"
done
tables=(--table tables/digits-pnas)
for space in nasnet amoeba enas darts vanilla resnet resnext_a resnext_b; do
  tables+=(--table "$TABLES/$space")
done
nasbench analyze report "${tables[@]}" --group-by space --where "(space != 'pnas' or num_blocks == 5) and params <= 300000" \
  --notes reports/spaces/FINDINGS.md --out reports/spaces
families=()
for space in vanilla resnet resnext_a resnext_b; do
  families+=(--table "$TABLES/$space")
done
nasbench analyze report "${families[@]}" --group-by space --notes reports/spaces/FAMILIES.md \
  --out reports/spaces/families
