#!/usr/bin/env bash
# What the run-time tracer costs, and whether its seccomp filter pays:
# the same programs run untraced, under `slimbuild trace --run` (seccomp-bpf
# stops only at the path-taking system calls), under `trace --run
# --no-seccomp` (a stop at every system call), and under `strace -f` (the
# tool exodus pipes) for reference. Prints wall and CPU seconds (median of
# RUNS) and the number of tracer stops, and the ratio of the two modes.
#   1. dd with 1-byte blocks: ~200k read/write calls, almost none traced
#   2. python3 importing json, sqlite3, ssl, zlib: path-heavy start-up
# Usage: bench/runtrace.sh [RUNS]   (default 3; root; needs build/slimbuild)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
slimbuild=${SLIMBUILD:-$(pwd)/build/slimbuild}
[[ -x $slimbuild ]] || { echo "bench: build slimbuild first (scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/sb-bench-rt.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat >"$work/app.py" <<'PY'
import json, sqlite3, ssl, zlib
print(json.dumps({"crc": zlib.crc32(b"x")}), sqlite3.sqlite_version, ssl.OPENSSL_VERSION)
PY

# median LABEL CMD...: median wall and CPU (user+sys) of RUNS runs.
median() {
  local label=$1
  shift
  python3 - "$runs" "$label" "$@" <<'PY'
import os, resource, statistics, subprocess, sys, time
runs, label, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
walls, cpus = [], []
for _ in range(runs):
    t = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1); os.dup2(fd, 2)
        os.execvp(cmd[0], cmd)
    _, status, ru = os.wait4(pid, 0)
    walls.append(time.monotonic() - t)
    cpus.append(ru.ru_utime + ru.ru_stime)
print(f"  {label:<28} wall {statistics.median(walls):7.3f} s   cpu {statistics.median(cpus):7.3f} s")
PY
}

stops() {  # stops MODE-FLAGS -- CMD...: the tracer's stop count for one run
  "$slimbuild" trace --run -q --json "$@" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["program"]["syscall_stops"])'
}

for case in dd python; do
  if [[ $case == dd ]]; then
    cmd=(/usr/bin/dd if=/dev/zero of=/dev/null bs=1 count=100000)
  else
    cmd=(/usr/bin/python3 -I -S "$work/app.py")
  fi
  echo "== $case: ${cmd[*]}"
  median "untraced" "${cmd[@]}"
  median "trace --run (seccomp)" "$slimbuild" trace --run -q -- "${cmd[@]}"
  median "trace --run --no-seccomp" "$slimbuild" trace --run -q --no-seccomp -- "${cmd[@]}"
  if command -v strace >/dev/null; then median "strace -f (reference)" strace -f -qq -o /dev/null "${cmd[@]}"; fi
  s1=$(stops -- "${cmd[@]}")
  s2=$(stops --no-seccomp -- "${cmd[@]}")
  echo "  tracer stops: seccomp $s1, every call $s2 (x$(python3 -c "print(round($s2/max($s1,1),1))") fewer with the filter)"
done
