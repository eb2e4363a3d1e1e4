#!/usr/bin/env bash
# Same inputs, same bytes: the hello-cpp image built from two copies of the
# sources at different paths, with umask 022 vs 077, different file mtimes,
# TZ, locale, working directory and wall-clock time must give byte-identical
# layouts and print the same digest. A git checkout cloned to two places
# also agrees, with its commit time as the image time. SOURCE_DATE_EPOCH
# sets config "created" and every tar mtime, and changes the digest.
source "$(dirname "$0")/lib.sh"
need_cmd g++ git

work=$(sb_tmpdir work)
build_example hello-cpp "$work/src" >/dev/null

# build_in DIR OUT UMASK TZ LOCALE: cd DIR and build ./slimbuild.yml there.
build_in() {
  local rc=0
  SB_STDOUT=$(cd "$1" && umask "$3" && env -u SOURCE_DATE_EPOCH TZ="$4" LC_ALL="$5" LANG="$5" \
    "$SLIMBUILD" build slimbuild.yml -o "$2" 2>"$SB_TMP/stderr") || rc=$?
  [[ $rc -eq 0 ]] || fail "build in $1 exited $rc: $(cat "$SB_TMP/stderr")"
  SB_DIGEST=$(tail -n 1 <<<"$SB_STDOUT")
  assert_match "$SB_DIGEST" '^sha256:[0-9a-f]{64}$' "last stdout line of the build"
}

a=$work/a/short/hello-cpp
b=$work/a-much-longer-and-different-path/x/y/z/hello-cpp
mkdir -p "$(dirname "$a")" "$(dirname "$b")"
(umask 022 && cp -r "$work/src/hello-cpp" "$a")
(umask 077 && cp -r "$work/src/hello-cpp" "$b")
find "$a" -exec touch -h -d "2001-02-03 04:05:06" {} +
find "$b" -exec touch -h -d "2029-12-31 23:59:59" {} +
assert_eq 700 "$(stat -c %a "$b/build")" "mode of the umask 077 copy (test setup)"

build_in "$a" "$work/out-a/layout" 022 UTC C
digest_a=$SB_DIGEST
sleep 1.1
build_in "$b" "$work/out-b/elsewhere/layout" 077 Pacific/Chatham C.UTF-8
digest_b=$SB_DIGEST
assert_eq "$digest_a" "$digest_b" "digest built from two copies"
diff -r "$work/out-a/layout" "$work/out-b/elsewhere/layout" || fail "the two layouts differ (see diff above)"
config=$(oci_json "$work/out-a/layout" 1.0 config)
assert_eq "1970-01-01T00:00:00Z" "$(json_get 'j["created"]' <<<"$config")" "created without SOURCE_DATE_EPOCH or git"
assert_not_contains "$config" "$work" "the config (it must not mention the build path)"
note "copies agree: $digest_a"

# Two clones of one git commit: identical, and the image time is the commit time.
g=$work/git/hello-cpp
mkdir -p "$work/git"
cp -r "$work/src/hello-cpp" "$g"
(
  cd "$g"
  git init -q
  git add -A .
  git add -f build/hello
  GIT_AUTHOR_DATE="2024-01-02T03:04:05Z" GIT_COMMITTER_DATE="2024-01-02T03:04:05Z" \
    git -c user.name=t -c user.email=t@example.com commit -q -m example
) || fail "cannot make the test git repository"
# Both clones have the same origin, so every provenance label can agree.
git clone -q "$g" "$work/clone1/hello-cpp"
git clone -q "$g" "$work/clone/deeper/hello-cpp"
build_in "$work/clone1/hello-cpp" "$work/out-git" 022 UTC C
digest_git=$SB_DIGEST
build_in "$work/clone/deeper/hello-cpp" "$work/out-clone" 077 Asia/Kolkata C.UTF-8
assert_eq "$digest_git" "$SB_DIGEST" "digest built from two clones"
diff -r "$work/out-git" "$work/out-clone" || fail "the layouts of two clones differ (see diff above)"
assert_eq "2024-01-02T03:04:05Z" "$(oci_json "$work/out-git" 1.0 config | json_get 'j["created"]')" \
  "created from the git commit time"

# SOURCE_DATE_EPOCH wins, and reaches every tar header.
rc=0
SB_STDOUT=$(cd "$a" && SOURCE_DATE_EPOCH=1700000000 "$SLIMBUILD" build slimbuild.yml -o "$work/out-sde" 2>"$SB_TMP/stderr") ||
  rc=$?
[[ $rc -eq 0 ]] || fail "build with SOURCE_DATE_EPOCH exited $rc: $(cat "$SB_TMP/stderr")"
digest_sde=$(tail -n 1 <<<"$SB_STDOUT")
assert_eq "2023-11-14T22:13:20Z" "$(oci_json "$work/out-sde" 1.0 config | json_get 'j["created"]')" \
  "created with SOURCE_DATE_EPOCH=1700000000"
assert_eq "1700000000" "$(layer_listing "$work/out-sde" 1.0 | awk '{print $4}' | sort -u)" \
  "tar mtimes with SOURCE_DATE_EPOCH=1700000000"
[[ $digest_sde != "$digest_a" ]] || fail "SOURCE_DATE_EPOCH did not change the digest"
note "ok"
