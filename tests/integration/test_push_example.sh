#!/usr/bin/env bash
# Issue 3's acceptance, run the way the README tells users to: scripts/push-demo.sh
# all builds the hello-cpp example and pushes it to a real docker-registry in
# each of the three set-ups (plain HTTP; TLS + htpasswd; TLS + token auth).
# From the demo's own output this checks that skopeo saw exactly the digest
# slimbuild printed, that the second push listed every blob as "exists" and
# transferred none, that the password never shows, and that every registry
# is gone afterwards. A slimbuild
# that lies about its digest must make the demo fail.
source "$(dirname "$0")/lib.sh"
need_cmd docker-registry skopeo htpasswd openssl python3 curl g++

work=$(sb_tmpdir work)
# A private copy of the example: the demo compiles it there, not in the checkout.
cp -r "$SLIMBUILD_SOURCE_DIR/examples/hello-cpp" "$work/hello-cpp"
rm -rf "$work/hello-cpp/build"

password="pd-$RANDOM$RANDOM-secret"
demo() {
  PUSH_DEMO_PASSWORD=$password SLIMBUILD_SKIP_SETUP=1 NO_COLOR=1 PUSH_DEMO_EXAMPLE="$work/hello-cpp" PUSH_DEMO_OUT="$work/out/hello-cpp" \
    bash "$SLIMBUILD_SOURCE_DIR/scripts/push-demo.sh" "$@"
}

rc=0
demo all > "$work/all.log" 2>&1 || rc=$?
log=$(cat "$work/all.log")
[[ $rc -eq 0 ]] || fail "push-demo.sh all exited $rc:
$log"
assert_contains "$log" "hello-cpp/build.sh" "the demo did not compile the example"
assert_not_contains "$log" "setup.sh)" "the demo ran setup despite SLIMBUILD_SKIP_SETUP=1"

# section MODE WHAT: the lines after the header "==> [MODE] WHAT..." up to the next header.
section() {
  awk -v head="==> [$1] $2" 'index($0, "==> ") == 1 { on = index($0, head) == 1; next } on' <<<"$log"
}

digests=()
for mode in plain tls token; do
  push1=$(section "$mode" "Building and pushing")
  [[ -n $push1 ]] || fail "no first push for $mode in:
$log"
  assert_contains "$push1" "build $work/hello-cpp/slimbuild.yml -o $work/out/hello-cpp --push --tag 127.0.0.1:" "$mode push command"
  printed=$(grep -E '^sha256:[0-9a-f]{64}$' <<<"$push1" | tail -n 1 || true)
  [[ -n $printed ]] || fail "$mode: slimbuild printed no digest:
$push1"
  # The registry starts empty: every blob (config, layer, and the SBOM referrer's) is uploaded,
  # the layer while it was compressed (build --push streams it; the push then finds it: "exists").
  uploaded=$(grep -cE '^slimbuild: sha256:[0-9a-f]{12}… uploaded ' <<<"$push1" || true)
  [[ $uploaded -ge 2 ]] || fail "$mode: the first push uploaded $uploaded blobs:
$push1"
  streamed=$(grep -cE '^slimbuild: sha256:[0-9a-f]{12}… exists$' <<<"$push1" || true)
  [[ $streamed -le 1 ]] || fail "$mode: the first push found $streamed blobs in an empty registry:
$push1"
  uploaded=$((uploaded + streamed))

  inspect=$(section "$mode" "What the registry serves")
  assert_eq "$printed" "$(sed -n 's/^skopeo sees: *//p' <<<"$inspect")" "$mode: digest skopeo sees vs slimbuild's"
  assert_eq "$printed" "$(sed -n 's/^slimbuild printed: *//p' <<<"$inspect")" "$mode: digest the demo compared"

  push2=$(section "$mode" "Pushing again")
  assert_eq "$printed" "$(grep -E '^sha256:' <<<"$push2" | tail -n 1)" "$mode: digest of the second push"
  if grep -E '^slimbuild: sha256:[0-9a-f]{12}… (uploaded|mounted)' <<<"$push2"; then
    fail "$mode: the second push transferred blobs again:
$push2"
  fi
  assert_eq "$uploaded" "$(grep -cE '^slimbuild: sha256:[0-9a-f]{12}… exists$' <<<"$push2")" "$mode: blobs that said exists"
  digests+=("$printed")

  # The registry was stopped on exit.
  port=$(grep -oE -m1 '127\.0\.0\.1:[0-9]+/examples/hello-cpp' <<<"$push1" | cut -d: -f2 | cut -d/ -f1 || true)
  [[ -n $port ]] || fail "$mode: no registry address in the push command"
  if curl -sk -o /dev/null "https://127.0.0.1:$port/v2/" || curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then
    fail "$mode: the registry on port $port still answers after the demo"
  fi
done
assert_eq "${digests[0]}" "${digests[1]}" "plain vs tls digest (same inputs)"
assert_eq "${digests[0]}" "${digests[2]}" "plain vs token digest (same inputs)"
assert_not_contains "$log" "FAIL" "demo output"
assert_not_contains "$log" "$password" "demo output (the registry password)"

# A slimbuild that prints a digest the registry does not have: the demo must say so and fail.
cat > "$work/lying-slimbuild" <<SH
#!/bin/sh
"$SLIMBUILD" "\$@" || exit \$?
echo sha256:0000000000000000000000000000000000000000000000000000000000000000
SH
chmod +x "$work/lying-slimbuild"
rc=0
SLIMBUILD="$work/lying-slimbuild" demo plain > "$work/lie.log" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "the demo accepted a wrong digest:
$(cat "$work/lie.log")"
assert_contains "$(cat "$work/lie.log")" "but slimbuild printed sha256:0000" "the mismatch message"
echo PASS
