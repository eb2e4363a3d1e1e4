#!/usr/bin/env bash
# Push benchmark: slimbuild vs `skopeo copy` on the same ~80 MiB single-layer
# OCI layout, each into a fresh local docker-registry (plain HTTP, loopback),
# first push and re-push (blobs already there). Prints wall times, the
# ratios (median of RUNS=3 runs), and slimbuild's peak RSS (memory must not
# grow with blob size).
#
# usage: bench/push.sh [SLIMBUILD_BINARY] [LAYER_MIB]
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SLIMBUILD="${1:-$ROOT/build/slimbuild}"
MIB="${2:-80}"
source "$ROOT/tests/support/registry/lib.sh"
reg_require docker-registry skopeo python3
[ -x "$SLIMBUILD" ] || fail "no slimbuild binary at $SLIMBUILD (build first)"
unset SLIMBUILD_RETRY_BASE_MS

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

echo "building a layout with a ${MIB} MiB incompressible layer..."
make_layout "$REG_WORK/lay" bench $((MIB * 1024 * 1024)) --seed 42 > /dev/null || fail "make_layout"
layer=$(ls -S "$REG_WORK/lay/blobs/sha256" | head -1)
echo "layer: $(du -h "$REG_WORK/lay/blobs/sha256/$layer" | cut -f1)"

median() { python3 -c 'import statistics, sys; print(f"{statistics.median(map(float, sys.argv[1:])):.2f}")' "$@"; }

# Each run gets fresh registries (and a fresh mount cache), so nothing is
# mounted or deduplicated across runs; the median of RUNS is reported.
RUNS="${RUNS:-3}"
slim_f=() slim_a=() sk_f=() sk_a=()
for run in $(seq 1 "$RUNS"); do
  export XDG_CACHE_HOME="$REG_WORK/cache-$run"
  start_registry "slim$run" plain
  t0=$(now)
  /usr/bin/time -f "%M" -o "$REG_WORK/rss" "$SLIMBUILD" -q push "$REG_WORK/lay:bench" "$REG_ADDR/bench/slim:1" \
    --insecure-registry > /dev/null || fail "slimbuild push"
  t1=$(now)
  "$SLIMBUILD" -q push "$REG_WORK/lay:bench" "$REG_ADDR/bench/slim:1" --insecure-registry > /dev/null || fail "slimbuild re-push"
  t2=$(now)
  slim_f+=("$(elapsed "$t0" "$t1")") slim_a+=("$(elapsed "$t1" "$t2")") slim_rss=$(cat "$REG_WORK/rss")

  start_registry "skopeo$run" plain
  t0=$(now)
  skopeo copy -q --dest-tls-verify=false "oci:$REG_WORK/lay:bench" "docker://$REG_ADDR/bench/skopeo:1" || fail "skopeo copy"
  t1=$(now)
  skopeo copy -q --dest-tls-verify=false "oci:$REG_WORK/lay:bench" "docker://$REG_ADDR/bench/skopeo:1" || fail "skopeo re-copy"
  t2=$(now)
  sk_f+=("$(elapsed "$t0" "$t1")") sk_a+=("$(elapsed "$t1" "$t2")")
done
slim_first=$(median "${slim_f[@]}") slim_again=$(median "${slim_a[@]}")
sk_first=$(median "${sk_f[@]}") sk_again=$(median "${sk_a[@]}")

echo "median of $RUNS runs"
printf '\n%-22s %10s %10s\n' "" "first (s)" "re-push (s)"
printf '%-22s %10s %10s\n' "slimbuild push" "$slim_first" "$slim_again"
printf '%-22s %10s %10s\n' "skopeo copy" "$sk_first" "$sk_again"
printf '%-22s %10s %10s\n' "ratio slimbuild/skopeo" "$(ratio "$slim_first" "$sk_first")" "$(ratio "$slim_again" "$sk_again")"
echo "slimbuild peak RSS during the first push: $((slim_rss / 1024)) MiB (layer ${MIB} MiB)"
