#!/usr/bin/env bash
# The layer cache through the CLI: a rebuild of unchanged inputs takes the
# layer from the cache (same digest, same SBOM), any changed input or
# setting misses, content that comes back hits again, a corrupted entry is
# detected by its digest and never served, --no-cache neither reads nor
# writes, the ELF and secret-scan memos see a changed library and a secret
# written under the old size and mtime, $XDG_CACHE_HOME is the default home,
# and concurrent builds that share one cache all succeed with the same image.
source "$(dirname "$0")/lib.sh"
unset SLIMBUILD_NO_CACHE
export SOURCE_DATE_EPOCH=1700000000

dir=$(sb_tmpdir src)
cache=$SB_TMP/cache
cp /usr/bin/true "$dir/app"
mkdir -p "$dir/data"
head -c 3000000 /dev/urandom >"$dir/data/blob.bin"
seq 1 300000 >"$dir/data/numbers.txt"
cat >"$dir/slimbuild.yml" <<'Y'
name: cached
binary: {path: app}
user: {uid: 65532}
files:
  - {src: data/, dest: /data/}
Y
entries() { find "$cache/entries" -name '*.json' 2>/dev/null | wc -l; }
build() { sb_build "$dir/slimbuild.yml" "$SB_TMP/out" --cache-dir "$cache" --sbom "$SB_TMP/sbom.json" "$@"; }

build
first=$SB_DIGEST
cp "$SB_TMP/sbom.json" "$SB_TMP/sbom1.json"
assert_not_contains "$SB_STDERR" "from the cache" "first build"
assert_eq 1 "$(entries)" "cache entries after the first build"

build
assert_eq "$first" "$SB_DIGEST" "digest of the cached rebuild"
assert_contains "$SB_STDERR" "(from the cache)" "rebuild with unchanged inputs"
cmp "$SB_TMP/sbom1.json" "$SB_TMP/sbom.json" || fail "the SBOM of a cache hit differs from the built one"
json=$("$SLIMBUILD" build "$dir/slimbuild.yml" -o "$SB_TMP/out" --cache-dir "$cache" --json)
assert_eq true "$(json_get 'j["layer_from_cache"]' <<<"$json")" "--json layer_from_cache on a hit"

# --no-cache: built, and the cache is left alone.
before=$(tree_sum "$cache/entries")
sb_build "$dir/slimbuild.yml" "$SB_TMP/out" --cache-dir "$cache" --no-cache
assert_eq "$first" "$SB_DIGEST" "digest with --no-cache"
assert_not_contains "$SB_STDERR" "from the cache" "--no-cache build"
assert_eq "$before" "$(tree_sum "$cache/entries")" "cache after a --no-cache build"

# A changed input misses; the old content back (new timestamps) hits again.
cp "$dir/data/numbers.txt" "$SB_TMP/numbers.orig"
echo 300001 >>"$dir/data/numbers.txt"
build
changed=$SB_DIGEST
[[ $changed != "$first" ]] || fail "a changed input gave the old digest"
assert_not_contains "$SB_STDERR" "from the cache" "build after a change"
cp "$SB_TMP/numbers.orig" "$dir/data/numbers.txt"
build
assert_eq "$first" "$SB_DIGEST" "digest with the original content back"
assert_contains "$SB_STDERR" "(from the cache)" "build with the original content back"
# A setting that shapes the bytes is part of the key.
build --compression gzip:9
[[ $SB_DIGEST != "$first" ]] || fail "gzip:9 gave the level-6 digest"
assert_not_contains "$SB_STDERR" "from the cache" "first gzip:9 build"

# Corrupt every cached blob: detected by digest, ignored, rebuilt, replaced.
for b in "$cache"/entries/*.blob; do printf 'X' | dd of="$b" bs=1 seek=100 conv=notrunc status=none; done
build
assert_eq "$first" "$SB_DIGEST" "digest after the cache was corrupted"
assert_contains "$SB_STDERR" "corrupt cache entry" "warning about the corrupted entry"
assert_not_contains "$SB_STDERR" "(from the cache)" "build over a corrupted entry"
build
assert_contains "$SB_STDERR" "(from the cache)" "the rebuilt entry is served again"

# The memos beside the cache (parsed ELF facts, secret-scan verdicts) let a
# hit skip parsing and scanning, yet see every change, even with the old
# mtime put back (touch -d): a library that now needs libm, and a secret
# written over a file of the same size (only its ctime tells).
mdir=$(sb_tmpdir memo)
mkdir -p "$mdir/lib" "$mdir/tree"
printf 'int foo(void) { return 0; }\n' >"$mdir/foo.c"
printf 'double cos(double);\nvolatile double zero;\nint foo(void) { return cos(zero) == 1.0 ? 0 : 1; }\n' >"$mdir/foo2.c"
printf 'int foo(void);\nint main(void) { return foo(); }\n' >"$mdir/app.c"
gcc -shared -fPIC -Wl,-soname,libfoo.so -o "$mdir/lib/libfoo.so" "$mdir/foo.c"
gcc -o "$mdir/app" "$mdir/app.c" -L"$mdir/lib" -lfoo -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN/lib'
pem='-----BEGIN RSA PRIVATE KEY-----
MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu
-----END RSA PRIVATE KEY-----'
pad=$(head -c 70000 /dev/zero | tr '\0' x)  # secret verdicts are memoised for files of 64 KiB and more
printf '%s%s' "$pad" "${pem//?/x}" >"$mdir/tree/notes.txt"
cat >"$mdir/slimbuild.yml" <<'Y'
name: memo
binary: {path: app}
user: {uid: 65532}
files:
  - {src: tree/, dest: /data/}
Y
sleep 1  # settled: a file changed within a tick of a build's start is not memoised
mbuild() { XDG_CACHE_HOME=$SB_TMP/mxdg sb_build "$mdir/slimbuild.yml" "$SB_TMP/mout" --sbom "$SB_TMP/msbom.json" "$@"; }
mbuild
assert_not_contains "$(cat "$SB_TMP/msbom.json")" "libm.so" "SBOM before the library changed"
[[ -s $SB_TMP/mxdg/slimbuild/elf-facts && -s $SB_TMP/mxdg/slimbuild/secret-scans ]] ||
  fail "no memos in the cache directory after the first build: $(ls -A "$SB_TMP/mxdg/slimbuild")"
mbuild -v
assert_contains "$SB_STDERR" "(from the cache)" "unchanged rebuild with the memos"
mtime=$(stat -c %y "$mdir/lib/libfoo.so")
gcc -shared -fPIC -Wl,-soname,libfoo.so -o "$mdir/lib/libfoo.so" "$mdir/foo2.c" -lm
touch -d "$mtime" "$mdir/lib/libfoo.so"
mbuild
assert_not_contains "$SB_STDERR" "(from the cache)" "rebuild after the library changed"
assert_contains "$(cat "$SB_TMP/msbom.json")" "libm.so.6" "SBOM after the library started needing libm"
# The entry this manifest used last has its digest checked early, beside the
# trace, and the hit is taken before that check ends: a blob corrupted in
# place is still caught before anything is committed, and the layer rebuilt.
libm_digest=$SB_DIGEST
for b in "$SB_TMP"/mxdg/slimbuild/entries/*.blob; do printf 'X' | dd of="$b" bs=1 seek=100 conv=notrunc status=none; done
mbuild
assert_eq "$libm_digest" "$SB_DIGEST" "digest after the expected entry was corrupted"
assert_contains "$SB_STDERR" "corrupt cache entry" "warning about the corrupted expected entry"
assert_not_contains "$SB_STDERR" "(from the cache)" "build over the corrupted expected entry"
mbuild
assert_contains "$SB_STDERR" "(from the cache)" "the rebuilt expected entry is served again"
mtime=$(stat -c %y "$mdir/tree/notes.txt")
size=$(stat -c %s "$mdir/tree/notes.txt")
printf '%s%s' "$pad" "$pem" >"$mdir/tree/notes.txt"
touch -d "$mtime" "$mdir/tree/notes.txt"
assert_eq "$size" "$(stat -c %s "$mdir/tree/notes.txt")" "size of the file the secret was written over"
XDG_CACHE_HOME=$SB_TMP/mxdg sb_build_fails "$mdir/slimbuild.yml" "$SB_TMP/mfail" "refusing to put" "notes.txt"

# The default home is $XDG_CACHE_HOME/slimbuild.
XDG_CACHE_HOME=$SB_TMP/xdg sb_build "$dir/slimbuild.yml" "$SB_TMP/out2"
[[ -n $(find "$SB_TMP/xdg/slimbuild/entries" -name '*.json') ]] || fail "nothing cached under \$XDG_CACHE_HOME/slimbuild"

# Four builds at once on one empty cache.
shared=$SB_TMP/shared
pids=()
for i in 1 2 3 4; do
  "$SLIMBUILD" build "$dir/slimbuild.yml" -o "$SB_TMP/par$i" --cache-dir "$shared" >"$SB_TMP/par$i.out" 2>&1 &
  pids+=($!)
done
for i in 1 2 3 4; do
  wait "${pids[$((i - 1))]}" || fail "concurrent build $i failed: $(cat "$SB_TMP/par$i.out")"
  assert_eq "$first" "$(tail -n 1 "$SB_TMP/par$i.out")" "digest of concurrent build $i"
done
sb_build "$dir/slimbuild.yml" "$SB_TMP/out" --cache-dir "$shared"
assert_contains "$SB_STDERR" "(from the cache)" "build after the concurrent ones"
[[ -z $(find "$shared" -name '.tmp-*') ]] || fail "temporary files left in the cache: $(find "$shared" -name '.tmp-*')"
