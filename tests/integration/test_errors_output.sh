#!/usr/bin/env bash
# -o is replaced atomically: a failing build leaves an existing layout there
# byte for byte, a successful one replaces it completely (no stale blobs
# merged in), and neither leaves temporary siblings beside it.
source "$(dirname "$0")/lib.sh"

dir=$(sb_tmpdir src)
parent=$(sb_tmpdir out)
out=$parent/image
cp /usr/bin/true "$dir/hello"
cat >"$dir/good.yml" <<'Y'
name: good
binary: {path: hello}
user: {uid: 65532}
env: {VERSION: "1"}
Y

sb_build "$dir/good.yml" "$out"
first=$SB_DIGEST
first_sum=$(tree_sum "$out")
assert_eq "image" "$(ls -A "$parent")" "entries in the output's parent after a build"

# A failing build: the old layout must survive untouched.
sed 's/uid: 65532/uid: 0/' "$dir/good.yml" >"$dir/bad.yml"
sb_build_fails "$dir/bad.yml" "$out" "bad.yml:3:"
assert_eq "$first_sum" "$(tree_sum "$out")" "the old layout after a failed build"
# ... also when the failure comes late (tracing, not manifest parsing).
printf '#!/bin/sh\n' >"$dir/script"
sed 's/path: hello/path: script/' "$dir/good.yml" >"$dir/late.yml"
sb_build_fails "$dir/late.yml" "$out" "script"

# A successful build with different content replaces the layout as a whole.
sed 's/VERSION: "1"/VERSION: "2"/' "$dir/good.yml" >"$dir/good2.yml"
sb_build "$dir/good2.yml" "$out"
second=$SB_DIGEST
[[ $first != "$second" ]] || fail "changing env did not change the digest ($first)"
[[ ! -e $out/blobs/sha256/${first#sha256:} ]] || fail "the old manifest blob $first survived the replacement"
assert_eq "image" "$(ls -A "$parent")" "entries in the output's parent after a replacement"

# Building the first manifest again gives back the first digest.
sb_build "$dir/good.yml" "$out"
assert_eq "$first" "$SB_DIGEST" "digest of a rebuild"
assert_eq "$first_sum" "$(tree_sum "$out")" "layout bytes of a rebuild"
# -o naming a directory that is not an OCI layout (a typo like `-o .` or
# `-o src/`) is refused, and everything in it stays.
precious=$(sb_tmpdir precious)
echo "do not delete" >"$precious/notes.txt"
mkdir "$precious/sub"
sb_build_fails "$dir/good.yml" "$precious" "$precious"
assert_eq "do not delete" "$(cat "$precious/notes.txt")" "a file in the directory -o pointed at"
# ... and so is a regular file.
echo "data" >"$parent/file"
sb_build_fails "$dir/good.yml" "$parent/file" "$parent/file"
assert_eq "data" "$(cat "$parent/file")" "the file -o pointed at"
note "ok"
