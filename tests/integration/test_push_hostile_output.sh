#!/usr/bin/env bash
# Issue 8, finding 2 and deliverable 6: a hostile registry of our own
# (tests/support/registry/hostile_registry.py, TLS) echoes the request's
# Authorization into its error bodies (503 on the upload POST, retried; 404 on a
# pull's manifest GET): no password, base64(user:password) or bearer token
# appears in any output (normal, -v, --json). A response body that never ends
# (fast, or dripping) fails the push in bounded time with an error naming the
# limit and how to raise it.
set -u
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/hostile.sh"
hostile_setup
export SLIMBUILD_RETRY_ATTEMPTS=3
run() { # run NAME CMD ARGS...: the password on stdin, output in $W/NAME.out/.err, exit status in $W/NAME.rc
  local name=$1; shift
  printf '%s\n' "$REG_PASS" | timeout 120 "$SLIMBUILD" "$@" --ca-file "$CA" --username "$REG_USER" --password-stdin \
    > "$W/$name.out" 2> "$W/$name.err"
  echo $? > "$W/$name.rc"
}
failed() { local rc; rc=$(cat "$W/$1.rc"); [[ $rc != 0 && $rc != 124 ]] || fail "$2 (exit $rc): $(tail -5 "$W/$1.err")"; }

# 1. 503 bodies echoing Basic credentials, in retry lines and the final error.
start_hostile REG1 tls --auth basic "$REG_USER" "$REG_PASS" --attack echo-503
for v in "" -v; do
  run "b503$v" $v push "$W/lay" "${REG1#https://}/team/app:1"
  failed "b503$v" "push against a registry answering 503 did not fail cleanly"
  grep -q "retrying" "$W/b503$v.err" || fail "no retry line: $(cat "$W/b503$v.err")"
  grep -q "HTTP 503" "$W/b503$v.err" || fail "the error does not name the status: $(cat "$W/b503$v.err")"
done
run b503json push "$W/lay" "${REG1#https://}/team/app:1" --json
failed b503json "push --json against a 503 registry did not fail cleanly"
no_secrets "$W"/b503*

# 2. The same with bearer tokens: the token is echoed back.
start_hostile REG2 tls --auth bearer "$REG_USER" "$REG_PASS" --token "$HOSTILE_TOKEN" --attack echo-503
run t503 -v push "$W/lay" "${REG2#https://}/team/app:1"
failed t503 "push against a bearer registry answering 503 did not fail cleanly"
grep -q "HTTP 503" "$W/t503.err" || fail "the error does not name the status: $(cat "$W/t503.err")"
no_secrets "$W"/t503.*

# 3. A pull (inspect REF) whose manifest GET is a 404 echoing the credentials.
start_hostile REG3 tls --auth basic "$REG_USER" "$REG_PASS" --attack echo-404
for v in "" -v; do
  run "i404$v" $v inspect "${REG3#https://}/team/app:1" --no-trace
  failed "i404$v" "inspect of a missing manifest did not fail cleanly"
  grep -q "404" "$W/i404$v.err" || fail "the error does not name the status: $(cat "$W/i404$v.err")"
done
run i404json inspect "${REG3#https://}/team/app:1" --no-trace --json
no_secrets "$W"/i404*

# 4. A response body that never ends: capped in size, the error names the cap.
start_hostile REG4 tls --auth basic "$REG_USER" "$REG_PASS" --attack endless-body
run endless push "$W/lay" "${REG4#https://}/team/app:1"
failed endless "a never-ending response body did not fail the push (exit 124 = hung)"
grep -q "SLIMBUILD_MAX_RESPONSE_MB" "$W/endless.err" || fail "the error does not name the size limit: $(cat "$W/endless.err")"

# 5. A body that drips forever (above the stall limit): the overall deadline ends it.
start_hostile REG5 tls --auth basic "$REG_USER" "$REG_PASS" --attack drip-body
SLIMBUILD_REQUEST_TIMEOUT=3 run drip push "$W/lay" "${REG5#https://}/team/app:1"
failed drip "a dripping response body did not fail the push (exit 124 = hung)"
grep -q "SLIMBUILD_REQUEST_TIMEOUT" "$W/drip.err" || fail "the error does not name the deadline: $(cat "$W/drip.err")"
no_secrets "$W"/endless.* "$W"/drip.*
echo PASS
