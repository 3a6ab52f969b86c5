#!/usr/bin/env bash
# Runs the cluster recipes on one machine: every task of the Slurm array (slurm) or every pod
# of the Indexed Job (kubernetes) as a parallel process with the variables the scheduler
# would set, read from the recipe itself; then the merge step. EVAL, EVAL_ARGS and OUT pass
# through to the recipes.
#   scripts/cluster/simulate.sh slurm|kubernetes
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=${1:?usage: simulate.sh slurm|kubernetes}
# Only the simulated scheduler's variables: a surrounding job's must not pick the shard.
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_COUNT \
  SLURM_ARRAY_TASK_STEP JOB_COMPLETION_INDEX GEMMA_SHARD_COUNT
pids=()
case $mode in
  slurm)
    range=$(sed -n 's/^#SBATCH --array=\([0-9]*-[0-9]*\).*/\1/p' "$here/ifeval-shard.sh")
    lo=${range%-*} hi=${range#*-}
    for ((id = lo; id <= hi; id++)); do
      SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=$lo SLURM_ARRAY_TASK_MAX=$hi \
        SLURM_ARRAY_TASK_COUNT=$((hi - lo + 1)) bash "$here/ifeval-shard.sh" &
      pids+=($!)
    done
    ;;
  kubernetes)
    manifest="$here/ifeval-indexed-job.yaml"
    completions=$(sed -n 's/^ *completions: *\([0-9]*\).*/\1/p' "$manifest")
    count=$(grep -A1 'name: GEMMA_SHARD_COUNT' "$manifest" | sed -n 's/.*value: *"\([0-9]*\)".*/\1/p')
    [ "$completions" = "$count" ] || { echo "$manifest: completions $completions, GEMMA_SHARD_COUNT $count"; exit 1; }
    for ((i = 0; i < completions; i++)); do
      JOB_COMPLETION_INDEX=$i GEMMA_SHARD_COUNT=$count bash "$here/ifeval-shard.sh" &
      pids+=($!)
    done
    ;;
  *) echo "unknown mode $mode (slurm or kubernetes)"; exit 2 ;;
esac
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[ "$status" -eq 0 ] || { echo "a shard failed"; exit 1; }
bash "$here/merge.sh"
