#!/usr/bin/env bash
# Reproducibility you can prove: an image built in one checkout with default
# settings is verified (exit 0, same digest) by rebuilding from another copy
# at another path, with umask 077, different file mtimes, TZ=Pacific/Auckland,
# LC_ALL=C.UTF-8 and a later wall clock. Two builds run at the same time into
# different outputs give byte-identical layouts.
source "$(dirname "$0")/lib.sh"
need_cmd g++

work=$(sb_tmpdir work)
build_example hello-cpp "$work/src" >/dev/null
a=$work/src/hello-cpp
b=$work/other/place/with/a/long/path/hello-cpp
mkdir -p "$(dirname "$b")"
(umask 077 && cp -r "$a" "$b")
find "$b" -exec touch -h -d "2031-01-01 00:00:00" {} +
unset SOURCE_DATE_EPOCH

sb_build "$a/slimbuild.yml" "$work/original"
original=$SB_DIGEST
sleep 1.1

rc=0
out=$(cd "$work" && umask 077 && TZ=Pacific/Auckland LC_ALL=C.UTF-8 LANG=C.UTF-8 \
  "$SLIMBUILD" verify "$b/slimbuild.yml" --against "$work/original" 2>"$SB_TMP/stderr") || rc=$?
assert_eq 0 "$rc" "verify from another copy, umask, mtimes, TZ and locale ($(cat "$SB_TMP/stderr"); $out)"
assert_eq "$original" "$(tail -n 1 <<<"$out")" "digest printed by verify"
rc=0
out=$(TZ=Pacific/Auckland "$SLIMBUILD" verify "$b/slimbuild.yml" --against "$original" --json 2>/dev/null) || rc=$?
assert_eq 0 "$rc" "verify --against DIGEST --json"
assert_eq true "$(json_get 'j["identical"]' <<<"$out")" "identical in verify --json"

# Two builds at once, from the two copies, into different outputs.
"$SLIMBUILD" build "$a/slimbuild.yml" -o "$work/p1" >"$SB_TMP/p1" 2>&1 &
pid1=$!
(umask 077 && TZ=Asia/Kathmandu "$SLIMBUILD" build "$b/slimbuild.yml" -o "$work/p2" >"$SB_TMP/p2" 2>&1) &
pid2=$!
wait "$pid1" || fail "parallel build 1 failed: $(cat "$SB_TMP/p1")"
wait "$pid2" || fail "parallel build 2 failed: $(cat "$SB_TMP/p2")"
diff -r "$work/p1" "$work/p2" >/dev/null || fail "two parallel builds differ"
diff -r "$work/p1" "$work/original" >/dev/null || fail "parallel build differs from the first build"
assert_eq "$(tree_sum "$work/p1")" "$(tree_sum "$work/p2")" "tree checksum of the parallel builds"
rc=0
"$SLIMBUILD" diff "$work/p1" "$work/p2" >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "diff of the parallel builds"
note "ok: $original"
