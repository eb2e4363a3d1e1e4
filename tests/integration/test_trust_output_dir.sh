#!/usr/bin/env bash
# Issue 8, finding 7: -o is replaced only when it holds an OCI layout and
# nothing else, in one step (it never stops existing); builds to the same -o
# take turns (both succeed, the result is one whole layout, nothing is left
# beside it); what a SIGKILLed build leaves (.NAME.tmp-*) is removed by the
# next build of that -o.
source "$(dirname "$0")/lib.sh"

dir=$(sb_tmpdir src)
parent=$(sb_tmpdir out)
out=$parent/image
cp /usr/bin/true "$dir/hello"
cat >"$dir/good.yml" <<'Y'
name: good
binary: {path: hello}
user: {uid: 65532}
Y

# 1. A directory with an oci-layout file AND sources is not a layout: refused, untouched.
proj=$(sb_tmpdir p)/proj
mkdir -p "$proj/src"
echo '{"imageLayoutVersion":"1.0.0"}' >"$proj/oci-layout"
echo 'int main(void) { return 0; }' >"$proj/src/main.c"
sb_build_fails "$dir/good.yml" "$proj" "refusing to replace" "src"
[[ -f $proj/src/main.c ]] || fail "src/main.c was deleted"

# 2. Two builds to the same -o at once: both succeed (one waits for the
#    other), the result is a complete layout, nothing is left beside it.
sb_build "$dir/good.yml" "$out"
want=$SB_DIGEST
for i in 1 2 3; do
  "$SLIMBUILD" build "$dir/good.yml" -o "$out" >"$SB_TMP/a.out" 2>"$SB_TMP/a.err" &
  a=$!
  "$SLIMBUILD" build "$dir/good.yml" -o "$out" >"$SB_TMP/b.out" 2>"$SB_TMP/b.err" &
  b=$!
  # While they run, -o must always exist (one-step replacement).
  while kill -0 $a 2>/dev/null || kill -0 $b 2>/dev/null; do
    [[ -f $out/index.json ]] || fail "round $i: $out/index.json vanished while builds replaced it"
  done
  wait $a || fail "round $i: first concurrent build failed: $(cat "$SB_TMP/a.err")"
  wait $b || fail "round $i: second concurrent build failed: $(cat "$SB_TMP/b.err")"
  for f in a b; do
    assert_not_contains "$(cat "$SB_TMP/$f.err")" "internal error" "stderr of concurrent build $f"
    assert_eq "$want" "$(tail -n1 "$SB_TMP/$f.out")" "digest of concurrent build $f"
  done
  assert_eq "image" "$(ls -A "$parent")" "entries beside $out after concurrent builds (round $i)"
done
umoci stat --image "$out:latest" >/dev/null 2>&1 || [[ ! -x $(command -v umoci) ]] ||
  fail "umoci cannot read the layout after concurrent builds"

# 3. A build SIGKILLed mid-layer leaves .image.tmp-*; the next build removes it.
#    A big sparse file keeps the layer writer busy long enough to be caught.
truncate -s 1500M "$dir/big"
cat >"$dir/big.yml" <<'Y'
name: big
binary: {path: hello}
user: {uid: 65532}
files:
  - {src: big, dest: /big}
Y
"$SLIMBUILD" build "$dir/big.yml" -o "$out" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 2000); do
  compgen -G "$parent/.image.tmp-*" >/dev/null && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.01
done
compgen -G "$parent/.image.tmp-*" >/dev/null || fail "never saw the build's temporary directory"
kill -KILL $pid
wait $pid 2>/dev/null || true
compgen -G "$parent/.image.tmp-*" >/dev/null || fail "the killed build left nothing (test did not kill it mid-write)"
rm -f "$dir/big"
assert_eq "$want" "$(cd "$out" && "$SLIMBUILD" build "$dir/good.yml" -o "$out" 2>/dev/null | tail -n1)" "digest after the kill"
assert_eq "image" "$(ls -A "$parent")" "entries beside $out after the build that followed a killed one"
echo ok
