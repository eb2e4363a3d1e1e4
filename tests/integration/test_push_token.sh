#!/usr/bin/env bash
# Push to a registry using distribution's token auth, with a real JWT issuer
# (tests/support/registry/token_server.py): anonymous is refused, Basic
# credentials and an identity (refresh) token both get a scoped bearer token,
# a mount asks for pull on the source repository, tokens are reused.
set -u
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
reg_require docker-registry skopeo openssl python3

REG_USER=token-user
REG_PASS="tok-$RANDOM-pass"
export TOKEN_REFRESH="refresh-$RANDOM$RANDOM"
start_token_server
start_registry tok token
W=$REG_WORK
want=$(make_layout "$W/lay" v1 60000) || fail "make_layout"

# Anonymous: the token server grants nothing, so the registry says unauthorized.
"$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/app:1" --insecure-registry > "$W/o1" 2> "$W/e1" && fail "anonymous push succeeded"
grep -qi "unauthorized\|denied" "$W/e1" || fail "no unauthorized error: $(cat "$W/e1")"

# Wrong password: the token endpoint refuses; clear message, no password.
echo "bad-$REG_PASS" | "$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/app:1" --insecure-registry --username "$REG_USER" \
  --password-stdin > "$W/o2" 2> "$W/e2" && fail "push with a wrong password succeeded"
grep -qi "unauthorized" "$W/e2" || fail "no unauthorized error: $(cat "$W/e2")"
grep -q -- "$REG_PASS" "$W/o2" "$W/e2" && fail "password echoed"

# Basic credentials -> bearer token.
echo "$REG_PASS" | "$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/app:1" --insecure-registry --username "$REG_USER" \
  --password-stdin > "$W/o3" 2> "$W/e3" || { cat "$W/e3"; fail "token push failed"; }
[ "$(last_line "$W/o3")" = "$want" ] || fail "printed $(last_line "$W/o3")"
got=$(skopeo inspect --tls-verify=false --creds "$REG_USER:$REG_PASS" --format '{{.Digest}}' "docker://$REG_ADDR/team/app:1") ||
  fail "skopeo inspect"
[ "$got" = "$want" ] || fail "skopeo sees $got"
# One token for the whole push (cached), not one per request.
n=$(grep -c "^TOKEN $REG_USER repository:team/app:pull,push\$" "$TOKEN_LOG")
[ "$n" -eq 1 ] || fail "expected 1 token for team/app, got $n: $(cat "$TOKEN_LOG")"

# Identity token from config.json -> refresh_token grant; a mount into a new repo.
printf '{"auths":{"%s":{"identitytoken":"%s"}}}' "$REG_ADDR" "$TOKEN_REFRESH" > "$DOCKER_CONFIG/config.json"
"$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/copy:1" --insecure-registry > "$W/o4" 2> "$W/e4" ||
  { cat "$W/e4"; fail "push with an identity token failed"; }
[ "$(grep -c 'mounted from team/app' "$W/e4")" -eq 2 ] || fail "blobs not mounted: $(cat "$W/e4")"
grep -q "repository:team/copy:pull,push repository:team/app:pull" "$TOKEN_LOG" || fail "no mount scope: $(cat "$TOKEN_LOG")"
grep -q -- "$TOKEN_REFRESH" "$W/o4" "$W/e4" && fail "identity token echoed"
echo PASS
