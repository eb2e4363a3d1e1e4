#!/usr/bin/env bash
# verify, inspect and diff against a registry reference on a real
# docker-registry: the image pushed from a build verifies (exit 0, digest
# last), inspect shows its files and libraries, diff with the local layout
# says identical; after an env change in the manifest, verify exits 3 and
# names config.Env; plain http without --insecure-registry is refused.
set -u
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
reg_require docker-registry g++ python3 curl

start_registry plain plain
W=$REG_WORK
cp -r "$SLIMBUILD_SOURCE_DIR/examples/hello-cpp" "$W/hello-cpp"
rm -rf "$W/hello-cpp/build"
"$W/hello-cpp/build.sh" 2>/dev/null || fail "cannot compile examples/hello-cpp"
M=$W/hello-cpp/slimbuild.yml
export SOURCE_DATE_EPOCH=1700000000
REF=$REG_ADDR/examples/hello-cpp:1.0

"$SLIMBUILD" build "$M" -o "$W/lay" > "$W/build.out" 2> "$W/build.err" || fail "build: $(cat "$W/build.err")"
digest=$(last_line "$W/build.out")
"$SLIMBUILD" push "$W/lay" "$REF" --insecure-registry > "$W/push.out" 2> "$W/push.err" || fail "push: $(cat "$W/push.err")"

rc=0
"$SLIMBUILD" verify "$M" --against "$REF" --insecure-registry > "$W/v.out" 2> "$W/v.err" || rc=$?
[ "$rc" = 0 ] || fail "verify against the registry exited $rc: $(cat "$W/v.err" "$W/v.out")"
[ "$(last_line "$W/v.out")" = "$digest" ] || fail "verify printed $(last_line "$W/v.out"), want $digest"

"$SLIMBUILD" inspect "$REF" --insecure-registry > "$W/i.out" 2> "$W/i.err" || fail "inspect REF: $(cat "$W/i.err")"
grep -q "/app/hello" "$W/i.out" || fail "inspect REF lists no /app/hello: $(cat "$W/i.out")"
grep -q "libstdc++.so.6 .*needed by /app/hello" "$W/i.out" || fail "inspect REF attributes no libstdc++: $(cat "$W/i.out")"
[ "$(last_line "$W/i.out")" = "$digest" ] || fail "inspect REF digest $(last_line "$W/i.out") != $digest"

rc=0
"$SLIMBUILD" diff "$W/lay" "docker://$REF" --insecure-registry > "$W/d.out" 2> "$W/d.err" || rc=$?
[ "$rc" = 0 ] || fail "diff layout vs REF exited $rc: $(cat "$W/d.err" "$W/d.out")"

# An env change in the manifest: verify names the config field.
sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$M"
rc=0
"$SLIMBUILD" verify "$M" --against "$REF" --insecure-registry > "$W/v2.out" 2> "$W/v2.err" || rc=$?
[ "$rc" = 3 ] || fail "verify after an env change exited $rc, want 3: $(cat "$W/v2.err")"
grep -q "config.Env.LOG_LEVEL: info -> debug" "$W/v2.out" ||
  fail "verify does not name the variable with its old and new value: $(cat "$W/v2.out")"

# Plain http needs --insecure-registry, and the refusal happens before any rebuild.
rc=0
"$SLIMBUILD" verify "$M" --against "$REF" > "$W/v3.out" 2> "$W/v3.err" || rc=$?
[ "$rc" = 1 ] || fail "verify over http without --insecure-registry exited $rc, want 1"
grep -q "insecure-registry" "$W/v3.err" || fail "no hint about --insecure-registry: $(cat "$W/v3.err")"
grep -q "rebuilding" "$W/v3.err" && fail "verify rebuilt before checking the reference: $(cat "$W/v3.err")"
echo ok
