#!/usr/bin/env bash
# `slimbuild verify` and `slimbuild diff` on a real build: a rebuild from the
# same inputs verifies (exit 0, digest last); then one input at a time is
# changed and verify must fail with exit 3 and name exactly what changed:
# one byte in a files: entry, the mode of a files: entry, and a rebuilt
# shared library (found through RUNPATH $ORIGIN/lib). Against a bare digest
# it says "mismatch" and points at --against IMAGE; --json is parseable.
source "$(dirname "$0")/lib.sh"
need_cmd gcc

work=$(sb_tmpdir work)
app=$work/app
mkdir -p "$app/src" "$app/build/lib" "$app/conf"
printf 'const char* greet(void) { return "hello v1"; }\n' >"$app/src/greet.c"
printf '#include <stdio.h>\nconst char* greet(void);\nint main(void) { puts(greet()); return 0; }\n' >"$app/src/main.c"
compile() {
  gcc -shared -fPIC -Wl,-soname,libgreet.so.1 -o "$app/build/lib/libgreet.so.1" "$app/src/greet.c" &&
    gcc -o "$app/build/hello" "$app/src/main.c" "$app/build/lib/libgreet.so.1" -Wl,-rpath,'$ORIGIN/lib'
}
compile || fail "cannot compile the test program"
printf 'port: 3000\n' >"$app/conf/app.yml"
chmod 0644 "$app/conf/app.yml"
cat >"$app/slimbuild.yml" <<'YML'
name: greet
binary:
  path: build/hello
  dest: /app/hello
files:
  - src: conf/
    dest: /etc/greet/
user:
  uid: 65532
YML

export SOURCE_DATE_EPOCH=1700000000
sb_build "$app/slimbuild.yml" "$work/original"
original=$SB_DIGEST

# verify ARGS... -> sets V_OUT, V_ERR, V_RC
verify() {
  V_RC=0
  V_OUT=$("$SLIMBUILD" verify "$app/slimbuild.yml" "$@" 2>"$SB_TMP/verr") || V_RC=$?
  V_ERR=$(cat "$SB_TMP/verr")
}

verify --against "$work/original"
assert_eq 0 "$V_RC" "verify exit code for an unchanged rebuild ($V_ERR)"
assert_eq "$original" "$(tail -n 1 <<<"$V_OUT")" "last stdout line of verify"
verify --against "$original"
assert_eq 0 "$V_RC" "verify --against DIGEST exit code ($V_ERR)"

# 1. One byte in a files: entry.
printf 'port: 3001\n' >"$app/conf/app.yml"
verify --against "$work/original"
assert_eq 3 "$V_RC" "verify exit code after a one-byte change ($V_ERR)"
assert_match "$V_OUT" 'content +/etc/greet/app.yml' "verify output after a one-byte change"
assert_not_contains "$V_OUT" "/app/lib/libgreet.so.1" "verify output after a one-byte change"
verify --against "$original"
assert_eq 3 "$V_RC" "verify --against DIGEST after a change"
assert_contains "$V_OUT" "mismatch" "verify --against DIGEST output"
assert_contains "$V_ERR" "--against" "verify --against DIGEST hint"
printf 'port: 3000\n' >"$app/conf/app.yml"

# 2. A mode change.
chmod 0755 "$app/conf/app.yml"
verify --against "$work/original" --json
assert_eq 3 "$V_RC" "verify exit code after a mode change ($V_ERR)"
assert_eq '["mode", "/etc/greet/app.yml", "0644", "0755"]' \
  "$(json_get '[[d["kind"], d["path"], d["before"], d["after"]] for d in j["differences"] if d["kind"] != "config"][0]' <<<"$V_OUT")" \
  "the JSON difference for a mode change"
assert_eq false "$(json_get 'j["identical"]' <<<"$V_OUT")" "identical in --json"
chmod 0644 "$app/conf/app.yml"

# 3. A changed library.
sed -i 's/hello v1/hello v2/' "$app/src/greet.c"
compile || fail "cannot recompile the library"
verify --against "$work/original"
assert_eq 3 "$V_RC" "verify exit code after a library change ($V_ERR)"
assert_match "$V_OUT" 'content +/app/lib/libgreet.so.1' "verify output after a library change"
assert_not_contains "$V_OUT" "/etc/greet/app.yml" "verify output after a library change"

# diff names the same thing between two layouts, and agrees on identity.
sb_build "$app/slimbuild.yml" "$work/changed"
rc=0
out=$("$SLIMBUILD" diff "$work/original" "$work/changed" 2>/dev/null) || rc=$?
assert_eq 3 "$rc" "diff exit code for different images"
assert_match "$out" 'content +/app/lib/libgreet.so.1' "diff output"
rc=0
out=$("$SLIMBUILD" diff "$work/original" "$work/original:latest" 2>/dev/null) || rc=$?
assert_eq 0 "$rc" "diff exit code for the same image"
assert_eq "$original" "$(tail -n 1 <<<"$out")" "diff prints the digest when identical"

# Only the time differs (another SOURCE_DATE_EPOCH): every file shows up as
# an mtime change, and verify says which epoch reproduces the image.
SOURCE_DATE_EPOCH=1600000000 sb_build "$app/slimbuild.yml" "$work/older"
verify --against "$work/older"
assert_eq 3 "$V_RC" "verify exit code when only times differ"
assert_contains "$V_ERR" "only timestamps differ" "verify hint when only times differ"
assert_contains "$V_ERR" "--source-date-epoch 1600000000" "verify hint names the epoch"
verify --against "$work/older" --source-date-epoch 1600000000
assert_eq 0 "$V_RC" "verify with the epoch from the hint ($V_ERR)"
# ... but not when content differs as well.
verify --against "$work/original"
assert_not_contains "$V_ERR" "only timestamps differ" "verify hint when content differs"

# A missing tag names the tags the layout has.
verify --against "$work/original:nope"
assert_eq 1 "$V_RC" "verify exit code for a missing tag"
assert_contains "$V_ERR" "its tags: 'latest'" "verify hint for a missing tag"

# Bad --against values fail clearly, before any rebuild.
verify --against sha256:1234
assert_eq 2 "$V_RC" "verify exit code for a malformed digest"
verify --against "$work/no-such-layout"
assert_eq 1 "$V_RC" "verify exit code for a missing layout"
assert_contains "$V_ERR" "is not an OCI layout directory" "verify error for a missing layout"
assert_not_contains "$V_ERR" "rebuilding" "verify stderr for a bad --against"
note "ok"
