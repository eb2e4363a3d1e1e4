#!/usr/bin/env bash
# Issue 8, finding 9: a checkout git refuses ("dubious ownership": owned by
# another user, as in CI containers) must not silently give another image
# (time 0, no revision). The build says what git said and what to do; with
# SOURCE_DATE_EPOCH it builds without git metadata and says so;
# --require-clean names git's refusal, not "not in a git checkout"; and once
# the user trusts the checkout (safe.directory) the revision is back — git's
# check is never bypassed by slimbuild itself.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd git

work=$(sb_tmpdir work)
repo=$work/repo
mkdir -p "$repo"
cp /usr/bin/true "$repo/hello"
cat >"$repo/slimbuild.yml" <<'Y'
name: owned
binary: {path: hello}
user: {uid: 65532}
Y
(
  cd "$repo"
  git init -q
  git add -A .
  GIT_COMMITTER_DATE="2024-05-06T07:08:09Z" git -c user.name=t -c user.email=t@example.com commit -q -m x
) || fail "cannot set up the repository"
head=$(git -C "$repo" rev-parse HEAD)
chown -R 4242:4242 "$repo"
# Our own, empty global git config: the machine's must not decide the test.
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
unset SOURCE_DATE_EPOCH GIT_CONFIG_GLOBAL
git -C "$repo" rev-parse HEAD >/dev/null 2>&1 && fail "git itself does not refuse the checkout; the test cannot work"

# 1. Plain build: refused, with git's words and both ways out.
sb_build_fails "$repo/slimbuild.yml" "$work/out" "dubious ownership" "safe.directory" "SOURCE_DATE_EPOCH"

# 2. --require-clean: git's refusal, not "not in a git checkout".
SB_STDERR=$("$SLIMBUILD" build "$repo/slimbuild.yml" -o "$work/out" --require-clean 2>&1) &&
  fail "--require-clean passed on a checkout git refuses"
assert_contains "$SB_STDERR" "dubious ownership" "--require-clean error"
assert_not_contains "$SB_STDERR" "not in a git checkout" "--require-clean error"

# 3. SOURCE_DATE_EPOCH set: builds, without a revision, and warns about it.
SOURCE_DATE_EPOCH=1700000000 sb_build "$repo/slimbuild.yml" "$work/out"
assert_contains "$SB_STDERR" "dubious ownership" "warning of the SOURCE_DATE_EPOCH build"
manifest=$(oci_json "$work/out" latest manifest)
assert_not_contains "$manifest" "$head" "manifest built without git metadata"

# 4. The user trusts the checkout: git reads it again, the revision is back.
git config --global --add safe.directory "$repo"
sb_build "$repo/slimbuild.yml" "$work/out2"
manifest=$(oci_json "$work/out2" latest manifest)
assert_contains "$manifest" "$head" "manifest once safe.directory trusts the checkout"
echo ok
