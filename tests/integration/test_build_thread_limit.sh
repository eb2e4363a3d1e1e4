#!/usr/bin/env bash
# A CI container with a tight limit on processes and threads (pids.max,
# RLIMIT_NPROC): every optional thread of a build degrades to the caller's
# own (util/threads.hpp), so a build as an unprivileged user allowed a
# single task still succeeds with the very digest an unlimited build gives:
# the walk's parallel reads, the SBOM beside the layer, the parallel gzip
# and its writer, LIEF's cross-checks, a cache store and a cache hit with
# its part check. git cannot start either: a warning, and SOURCE_DATE_EPOCH
# stands in. zstd, whose framing needs a worker thread, fails with what to
# do about it, and leaves nothing behind.
source "$(dirname "$0")/lib.sh"
need_cmd g++ setpriv prlimit
[[ $(id -u) == 0 ]] || skip "needs root to build as another user under a process limit"

work=$(sb_tmpdir work)
manifest=$(build_example_cached hello-cpp "$work")
dir=$(dirname "$manifest")
# A tree big enough for the walk's parallel batch (64 files and more) and
# one file too big to hold, so its secret scan reads it from disk.
mkdir -p "$dir/data/many"
for i in $(seq 1 150); do printf 'file %d\n' "$i" >"$dir/data/many/f$i.txt"; done
head -c 300000 /dev/zero | tr '\0' 'z' >"$dir/data/big.txt"
cat >>"$manifest" <<'Y'
files:
  - {src: data/, dest: /data/}
Y
chmod -R a+rX "$SB_TMP"
out=$SB_TMP/out
mkdir -m 0777 "$out"
export SOURCE_DATE_EPOCH=1700000000

sb_build "$manifest" "$out/free"
free=$SB_DIGEST

limited() {  # limited ARGS...: slimbuild as nobody, allowed one task in all
  setpriv --reuid 65534 --regid 65534 --clear-groups prlimit --nproc=1 -- \
    env -u SLIMBUILD_NO_CACHE HOME="$out" "$SLIMBUILD" "$@"
}
# The limit is real: nobody may not start a second task.
if setpriv --reuid 65534 --regid 65534 --clear-groups prlimit --nproc=1 -- sh -c 'true & wait' 2>/dev/null; then
  skip "RLIMIT_NPROC=1 does not stop a fork here"
fi

stdout=$(limited build "$manifest" -o "$out/limited" --no-cache 2>"$SB_TMP/limited.err") ||
  fail "a build under a one-task limit failed: $(cat "$SB_TMP/limited.err")"
assert_eq "$free" "$(tail -n 1 <<<"$stdout")" "digest of the build under a one-task limit"
assert_not_contains "$(cat "$SB_TMP/limited.err")" "internal error" "stderr of the limited build"
assert_contains "$(cat "$SB_TMP/limited.err")" "cannot run git" "the limited build's word about git"

limited build "$manifest" -o "$out/stored" --cache-dir "$out/cache" >"$SB_TMP/stored.out" 2>"$SB_TMP/stored.err" ||
  fail "a cache-storing build under the limit failed: $(cat "$SB_TMP/stored.err")"
assert_eq "$free" "$(tail -n 1 "$SB_TMP/stored.out")" "digest of the cache-storing build under the limit"
limited build "$manifest" -o "$out/hit" --cache-dir "$out/cache" -v >"$SB_TMP/hit.out" 2>"$SB_TMP/hit.err" ||
  fail "a cache hit under the limit failed: $(cat "$SB_TMP/hit.err")"
assert_eq "$free" "$(tail -n 1 "$SB_TMP/hit.out")" "digest of the cache hit under the limit"
assert_contains "$(cat "$SB_TMP/hit.err")" "(from the cache)" "the limited rebuild"

rc=0
limited build "$manifest" -o "$out/zstd" --no-cache --compression zstd >/dev/null 2>"$SB_TMP/zstd.err" || rc=$?
[[ $rc == 1 ]] || fail "zstd under a one-task limit exited $rc: $(cat "$SB_TMP/zstd.err")"
assert_contains "$(cat "$SB_TMP/zstd.err")" "limit on processes and threads" "the zstd failure's hint"
assert_not_contains "$(cat "$SB_TMP/zstd.err")" "internal error" "the zstd failure"
[[ ! -e $out/zstd ]] || fail "the failed zstd build left $out/zstd"
[[ -z $(find "$out" -maxdepth 1 -name '.zstd*') ]] || fail "the failed zstd build left a temporary beside its output"
echo "ok: a one-task limit changes nothing but git's metadata; zstd says what to do"
