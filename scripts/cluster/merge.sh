#!/usr/bin/env bash
# Joins the shards in $OUT into the files one run writes, once every shard has finished;
# a missing, duplicated or mismatched shard is refused by name and nothing is written.
#   sbatch --dependency=afterok:<array job id> scripts/cluster/merge.sh
#SBATCH --job-name=gemma-merge
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=00:10:00
#SBATCH --output=runs/slurm-%x-%j.out
set -euo pipefail
EVAL=${EVAL:-target/release/eval}
exec "$EVAL" merge "${OUT:-runs/ifeval-full}"
