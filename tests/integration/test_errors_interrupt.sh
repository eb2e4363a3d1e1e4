#!/usr/bin/env bash
# Ctrl-C or `kill` in the middle of a build: slimbuild stops promptly with
# 128+signal, leaves no output at -o (an existing layout there survives
# byte for byte) and no temporary siblings beside it.
source "$(dirname "$0")/lib.sh"

dir=$(sb_tmpdir src)
parent=$(sb_tmpdir out)
cp /usr/bin/true "$dir/hello"
mkdir "$dir/data"
# Sparse, so the test costs no disk; compressing 2 GiB of zeros takes long
# enough that the signal lands while the layer is being streamed.
truncate -s 2G "$dir/data/big"
cat >"$dir/big.yml" <<'Y'
name: big
binary: {path: hello}
user: {uid: 65532}
files:
  - {src: data/, dest: /data/}
Y
cat >"$dir/small.yml" <<'Y'
name: small
binary: {path: hello}
user: {uid: 65532}
Y

# interrupt SIGNAL EXPECTED_STATUS OUT: start a build, signal it once the
# layer is being written (a temporary sibling exists), collect its status.
interrupt() {
  local sig=$1 want=$2 out=$3 i
  "$SLIMBUILD" build "$dir/big.yml" -o "$out" >"$dir/stdout" 2>"$dir/stderr" &
  local pid=$!
  for ((i = 0; i < 200; i++)); do
    compgen -G "$parent/.*tmp*" >/dev/null && break
    sleep 0.05
  done
  sleep 0.3
  kill -s "$sig" "$pid"
  local status=0
  wait "$pid" || status=$?
  assert_eq "$want" "$status" "exit status after SIG$sig"
  assert_contains "$(cat "$dir/stderr")" "interrupted by SIG$sig" "message after SIG$sig"
  assert_eq "" "$(cat "$dir/stdout")" "stdout after SIG$sig (no digest line)"
}

interrupt INT 130 "$parent/image"
assert_eq "" "$(ls -A "$parent")" "entries beside -o after SIGINT"

# An existing layout at -o survives an interrupted rebuild untouched.
sb_build "$dir/small.yml" "$parent/image"
before=$(tree_sum "$parent/image")
interrupt TERM 143 "$parent/image"
assert_eq "$before" "$(tree_sum "$parent/image")" "the old layout after SIGTERM"
assert_eq "image" "$(ls -A "$parent")" "entries beside -o after SIGTERM"
