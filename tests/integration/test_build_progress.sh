#!/usr/bin/env bash
# The layer's progress line: on a terminal (a pty from script(1)) `build`
# shows "layer X / TOTAL, RATE/s, ETA" redrawn with \r and erased at the end;
# with stderr not a terminal (a pipe, as in CI logs) there is none, nor in a
# terminal when CI is set, unless -v; -v in a log gives plain
# "slimbuild: layer ..." lines (no \r), -q none. The image is the same bytes
# either way.
source "$(dirname "$0")/lib.sh"
need_cmd script head

work=$(sb_tmpdir work)
# 48 MiB that gzip cannot shrink: the layer takes well over the 100 ms
# before the first redraw, even on a fast machine.
mkdir -p "$work/data"
head -c $((48 << 20)) /dev/urandom >"$work/data/blob.bin"
cat >"$work/m.yml" <<YML
name: progress
binary: /usr/bin/true
user: {name: app, uid: 10001}
files:
  - src: data/blob.bin
    dest: /data/blob.bin
YML
export SOURCE_DATE_EPOCH=1700000000

# 1. Not a terminal: no progress at all, and the usual summary.
sb_build "$work/m.yml" "$work/pipe" --threads 1
assert_not_contains "$SB_STDERR" $'\r' "stderr of a non-terminal build"
assert_not_contains "$SB_STDERR" "B/s" "stderr of a non-terminal build"
pipe_digest=$SB_DIGEST
# -v in a log: whole lines with the rate, no carriage returns or escapes.
# (zstd:16 on one thread: a layer of several seconds even on an idle machine, so there is something to report; at zstd:12 an idle machine read the input in under the 1 s line interval.)
CI=true "$SLIMBUILD" -v build "$work/m.yml" -o "$work/pipe-v" --threads 1 --compression zstd:16 \
  >"$work/v.out" 2>"$work/v.err" || fail "the -v build failed: $(cat "$work/v.err")"
assert_not_contains "$(cat "$work/v.err")" $'\r' "stderr of a -v build in a log"
assert_not_contains "$(cat "$work/v.err")" $'\e[K' "stderr of a -v build in a log"
v_lines=$(grep -cE '^slimbuild: layer [0-9.]+ [KMG]?i?B / 5[0-9]\.[0-9] MiB, [0-9.]+ [KMG]?i?B/s' "$work/v.err") ||
  fail "no progress line in the log of a -v build: $(cat "$work/v.err")"
note "-v in a log: $v_lines progress lines"

# pty_build OUT [ENV...] -- [ARGS...]: the build on a pseudo-terminal; prints what the terminal showed.
pty_build() {
  local out=$1
  shift
  local -a envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  local cmd
  printf -v cmd '%q ' env -u CI "${envs[@]}" "$SLIMBUILD" "$@" build "$work/m.yml" -o "$out" --threads 1
  script -qec "$cmd" /dev/null </dev/null || fail "the build on a pty failed"
}

# 2. A terminal: a line with the total, a rate and an ETA, erased at the end.
tty=$(pty_build "$work/tty" --)
assert_match "$tty" $'\rlayer [0-9.]+ [KMG]?i?B / 5[0-9]\\.[0-9] MiB, [0-9.]+ [KMG]?i?B/s(, ETA [0-9hms]+)?\e\\[K' "terminal output"
assert_contains "$tty" $'\r\e[K' "terminal output (the line erased)"
lines=$(grep -o $'\rlayer ' <<<"$tty" | wc -l)
note "progress redraws: $lines"
# The digest is still the last line, and the bytes do not change.
digest=$(tr -d '\r' <<<"$tty" | tail -n 1)
assert_eq "$pipe_digest" "$digest" "digest of the terminal build"

# 3. CI set: silent on a terminal too, unless -v.
ci=$(pty_build "$work/ci" CI=true --)
assert_not_contains "$ci" "B/s" "terminal output with CI=true"
assert_not_contains "$ci" $'\rlayer' "terminal output with CI=true"
civ=$(pty_build "$work/civ" CI=true -- -v)
assert_contains "$civ" $'\rlayer ' "terminal output with CI=true and -v"
# -q: nothing but errors, so no line.
q=$(pty_build "$work/q" -- -q)
assert_not_contains "$q" $'\rlayer' "terminal output with -q"
note "PASS"
