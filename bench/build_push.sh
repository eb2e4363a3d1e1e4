#!/usr/bin/env bash
# build --push with the layer streamed during compression, against the same
# push done after the build (SLIMBUILD_STREAM_PUSH=0) and against what a user
# would otherwise run (slimbuild build, then skopeo copy oci: -> docker://).
# The tree is curl plus LIB_MIB of this machine's /usr/lib shared libraries
# (compressible, so the compressor takes its time). Every command gets a
# fresh docker-registry on loopback and no layer cache, runs alternate, and
# the median of RUNS is printed with ratios against "build, then push".
# Loopback is the best case for the push; on a real network the upload takes
# longer, so what streaming hides grows, up to the whole build or push time.
#
# usage: bench/build_push.sh [RUNS] [LIB_MIB]   (default 3 and 200; needs build/slimbuild)
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS=${1:-3}
MIB=${2:-200}
SLIMBUILD=${SLIMBUILD:-$ROOT/build/slimbuild}
source "$ROOT/tests/support/registry/lib.sh"
reg_require docker-registry skopeo python3
[ -x "$SLIMBUILD" ] || fail "no slimbuild binary at $SLIMBUILD (build first)"
unset SLIMBUILD_RETRY_BASE_MS SLIMBUILD_STREAM_PUSH
export SOURCE_DATE_EPOCH=1700000000

tree=$REG_WORK/tree
mkdir -p "$tree/libs"
python3 - "$tree/libs" "$MIB" <<'PY'
import os, shutil, sys
dest, limit, total = sys.argv[1], int(sys.argv[2]) << 20, 0
for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib"):
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if ".so" in name and os.path.isfile(p) and not os.path.islink(p) and not os.path.exists(os.path.join(dest, name)):
            size = os.path.getsize(p)
            if total + size <= limit:
                shutil.copyfile(p, os.path.join(dest, name)); total += size
print(f"bench: {total >> 20} MiB of /usr/lib libraries", file=sys.stderr)
PY
printf 'name: bench\nbinary: {path: /usr/bin/curl, dest: /usr/bin/curl}\nuser: {name: curl, uid: 10001}\nca_certificates: true\nfiles:\n  - {src: libs/, dest: /opt/libs/}\n' >"$tree/slimbuild.yml"

now() { date +%s.%N; }
median() { python3 -c 'import statistics, sys; print(f"{statistics.median(map(float, sys.argv[1:])):.2f}")' "$@"; }

declare -A times
kinds=(build-only streamed after-build build+skopeo)
for run in $(seq 1 "$RUNS"); do
  for kind in "${kinds[@]}"; do
    export XDG_CACHE_HOME="$REG_WORK/cache-$run-$kind"  # no mount hints across commands
    start_registry "$kind-$run" plain
    out=$REG_WORK/out-$kind-$run
    ref="$REG_ADDR/bench/${kind//+/-}:1"
    t0=$(now)
    case $kind in
      build-only) "$SLIMBUILD" -q build "$tree/slimbuild.yml" -o "$out" --no-cache >/dev/null ;;
      streamed) "$SLIMBUILD" -q build "$tree/slimbuild.yml" -o "$out" --no-cache --push --tag "$ref" --insecure-registry >/dev/null ;;
      after-build) SLIMBUILD_STREAM_PUSH=0 "$SLIMBUILD" -q build "$tree/slimbuild.yml" -o "$out" --no-cache --push --tag "$ref" \
        --insecure-registry >/dev/null ;;
      build+skopeo) "$SLIMBUILD" -q build "$tree/slimbuild.yml" -o "$out" --no-cache >/dev/null &&
        skopeo copy -q --dest-tls-verify=false "oci:$out:latest" "docker://$ref" ;;
    esac || fail "$kind failed"
    t1=$(now)
    times[$kind]+=" $(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$t1")"
    rm -rf "$out"
  done
done
base=$(median ${times[after-build]})
echo "bench/build_push.sh: $RUNS alternating runs; $(nproc) CPUs; $(date -u +%FT%TZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | median wall | / build, then push |"
echo "|---|---|---|"
for kind in "${kinds[@]}"; do
  m=$(median ${times[$kind]})
  echo "| $kind | $m s | $(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$m" "$base") |"
done
