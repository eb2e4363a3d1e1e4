#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time: run_fuzzer.sh BINARY SEEDS WORK SECONDS.
# New inputs go to WORK/corpus (the seeds in the repo are never written), a
# failing input to WORK/artifacts/. Prints libFuzzer's final stats line.
set -euo pipefail
bin=$1 seeds=$2 work=$3 seconds=$4
mkdir -p "$work/corpus" "$work/artifacts"
export TMPDIR="$work"
"$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" > "$work/log" 2>&1 || {
  rc=$?
  tail -60 "$work/log" >&2
  echo "fuzz: $(basename "$bin") found a failing input (exit $rc); it is in $work/artifacts/" >&2
  exit 1
}
grep -E '^stat::number_of_executed_units|^Done ' "$work/log" || true
