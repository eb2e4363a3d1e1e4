#!/usr/bin/env bash
# Runs the hello-cpp image: unpacked by umoci, started as 65532:65532 with
# only the image's environment. The program itself checks that it is not
# root, counts the CA certificates, loads Europe/Ljubljana (CET in November),
# finds no /bin/sh and writes /tmp; this script checks what it printed.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd g++ umoci

work=$(sb_tmpdir work)
manifest=$(build_example hello-cpp "$work")
out=$work/out/hello-cpp
sb_build "$manifest" "$out"

image=$(image_unpack "$out" 1.0)
rc=0
output=$(image_exec "$image" 65532:65532 -- --expect-tz=CET 2>&1) || rc=$?
[[ $rc -eq 0 ]] || fail "hello-cpp exited $rc inside the image:
$output"
assert_contains "$output" "uid=65532 gid=65532" "hello-cpp output"
assert_match "$output" "CA bundle /etc/ssl/certs/ca-certificates.crt: [1-9][0-9]* certificates" "hello-cpp output"
assert_contains "$output" "TZ=Europe/Ljubljana 1700000000 is 2023-11-14 23:13:20 CET (+0100)" "hello-cpp output"
assert_contains "$output" "TZ=Europe/Ljubljana 1690000000 is 2023-07-22 06:26:40 CEST (+0200)" "hello-cpp output"
assert_contains "$output" "no shell (/bin/sh absent)" "hello-cpp output"
assert_contains "$output" "/tmp is writable" "hello-cpp output"
assert_contains "$output" "all checks passed" "hello-cpp output"

# The image's own User (no override) is the same non-root user.
output=$(image_exec "$image" - 2>&1) || fail "hello-cpp as the image's User failed: $output"
assert_contains "$output" "uid=65532 gid=65532" "hello-cpp output as the image's User"

# An arbitrary uid, as OpenShift assigns, works too: nothing needs a name.
output=$(image_exec "$image" 1000770000:0 2>&1) && fail "hello-cpp accepted gid 0: $output"
output=$(image_exec "$image" 1000770000:1000770000 2>&1) || fail "hello-cpp as an arbitrary uid failed: $output"
assert_contains "$output" "uid=1000770000" "hello-cpp output as an arbitrary uid"

# The checks can fail: the UTC fallback of a missing zone is caught.
rc=0
output=$(image_exec "$image" 65532:65532 -- --expect-tz=JST 2>&1) || rc=$?
assert_eq 4 "$rc" "exit code of hello-cpp expecting the wrong zone"
note "ok"
