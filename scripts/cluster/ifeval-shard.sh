#!/usr/bin/env bash
# One shard of the full IFEval (541 prompts, lm-eval defaults). The same script is a Slurm
# array job and a Kubernetes Indexed Job's command; `eval` reads its shard from
# SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or from JOB_COMPLETION_INDEX and
# GEMMA_SHARD_COUNT, and writes $OUT/shard-I-of-N (resumable: a requeued task continues).
#   sbatch scripts/cluster/ifeval-shard.sh       # then: sbatch --dependency=afterok:<job> scripts/cluster/merge.sh
#   kubectl apply -f scripts/cluster/ifeval-indexed-job.yaml
#SBATCH --job-name=gemma-ifeval
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=runs/slurm-%x-%A_%a.out
set -euo pipefail
# Build once before submitting (`cargo build --release -p eval`), or point EVAL at the binary.
EVAL=${EVAL:-target/release/eval}
# EVAL_ARGS: model and backend options, e.g. "--packed int8" or "--limit 40" for a trial.
# shellcheck disable=SC2086
exec "$EVAL" ifeval --output-dir "${OUT:-runs/ifeval-full}" ${EVAL_ARGS:-}
