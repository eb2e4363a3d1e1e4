#!/usr/bin/env bash
# Push through a fault-injecting proxy (tests/support/registry/fault_proxy.py)
# in front of a real registry: a 429 with Retry-After, a 500, a connection
# dropped mid-upload and a stalled upload are each survived with the same
# digest; a registry that always fails ends in a clear error naming the step,
# the HTTP status and the registry's message, with nothing on stdout.
set -u
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
reg_require docker-registry skopeo python3

export SLIMBUILD_LOW_SPEED_TIME=2 STALL=30
start_registry faults plain
W=$REG_WORK
# Big enough to be sent in PATCH chunks (threshold lowered for the test).
want=$(make_layout "$W/lay" v1 300000 --seed 3) || fail "make_layout"
export SLIMBUILD_MONOLITHIC_MAX=100000

# 1. Transient faults, one of each: the push completes with the same digest.
start_fault_proxy "$REG_ADDR" 429-head 500-upload drop-upload stall-upload
"$SLIMBUILD" push "$W/lay" "$PROXY_ADDR/team/app:1" --insecure-registry --chunk-size 65536 > "$W/o1" 2> "$W/e1" ||
  { cat "$W/e1"; fail "push through transient faults failed"; }
[ "$(last_line "$W/o1")" = "$want" ] || fail "printed $(last_line "$W/o1"), want $want"
for f in 429-head 500-upload drop-upload stall-upload; do
  grep -q "^FAULT $f\$" "$PROXY_LOG" || fail "fault $f was never injected: $(cat "$PROXY_LOG")"
done
grep -q "retrying in 1000 ms" "$W/e1" || fail "Retry-After: 1 was not honoured: $(cat "$W/e1")"
grep -q "too slow" "$W/e1" || fail "the stall was not cut by the low-speed timeout: $(cat "$W/e1")"
got=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG_ADDR/team/app:1") || fail "skopeo inspect"
[ "$got" = "$want" ] || fail "registry holds $got"

# 2. A permanently failing registry: clear error, non-zero exit, no digest printed.
start_fault_proxy "$REG_ADDR" always-500
want2=$(make_layout "$W/lay2" v1 5000 --seed 4) || fail "make_layout 2"
"$SLIMBUILD" push "$W/lay2" "$PROXY_ADDR/team/broken:1" --insecure-registry > "$W/o2" 2> "$W/e2" &&
  fail "push to an always-failing registry succeeded"
grep -q "uploading blob sha256:.* to $PROXY_ADDR/team/broken failed: HTTP 500 (UNKNOWN: injected failure)" "$W/e2" ||
  fail "error does not name step, status and registry message: $(cat "$W/e2")"
grep -q "after 5 attempts" "$W/e2" || fail "not retried: $(cat "$W/e2")"
[ -s "$W/o2" ] && fail "stdout not empty on failure: $(cat "$W/o2")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$REG_ADDR/v2/team/broken/manifests/1")
[ "$code" = 404 ] || fail "a manifest was pushed despite the failure (HTTP $code)"
echo PASS
