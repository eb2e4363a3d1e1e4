#!/usr/bin/env bash
# `slimbuild init`, end to end. The issue's Alpine Dockerfile, verbatim, in a
# project with a real program at build/stats-linux-amd64 (C, compiled here:
# it prints its uid/gid/user, TZ, the zone abbreviation glibc computes and
# how many certificates the CA bundle holds, and can answer one TCP
# connection). `init --from-dockerfile` must give a manifest that builds an
# image running the same binary as the same non-root user with the same
# zone, CA bundle and port - checked by running it. Then `init BINARY` on the
# system curl (TLS: ca_certificates) and on the static Go example (CA pool
# and zones), each built and run. And the refusals: no overwrite without
# --force, bad arguments, a file that is not a Dockerfile. The translated
# image also runs under a private dockerd (docker load, hardened docker run,
# docker inspect).
source "$(dirname "$0")/lib.sh"
need_root
need_cmd umoci gcc curl
# The manifests are read with a YAML parser that is not ours (scripts/setup.sh: python3-yaml).
"$SB_PY" -c 'import yaml' 2>/dev/null || fail "python3-yaml is not installed (scripts/setup.sh installs it)"

work=$(sb_tmpdir work)
proj=$work/stats
mkdir -p "$proj/build"
cat >"$work/stats.c" <<'C'
#include <arpa/inet.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char** argv) {
  struct passwd* pw = getpwuid(getuid());
  time_t t = 1700000000;
  char zone[64];
  strftime(zone, sizeof zone, "%H:%M %Z %z", localtime(&t));
  FILE* ca = fopen("/etc/ssl/certs/ca-certificates.crt", "r");
  int certs = 0;
  char line[256];
  while (ca && fgets(line, sizeof line, ca)) certs += strncmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0;
  char cwd[256] = "";
  if (!getcwd(cwd, sizeof cwd)) strcpy(cwd, "?");
  char report[1024];
  snprintf(report, sizeof report, "uid=%d gid=%d user=%s TZ=%s zone=%s certs=%d cwd=%s exe=%s\n", (int)getuid(),
           (int)getgid(), pw ? pw->pw_name : "?", getenv("TZ") ? getenv("TZ") : "", zone, certs, cwd, argv[0]);
  fputs(report, stdout);
  if (argc == 3 && strcmp(argv[1], "serve") == 0) {  /* answer one connection on 127.0.0.1:PORT */
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr*)&a, sizeof a) || listen(s, 1)) { perror("listen"); return 1; }
    fflush(stdout);
    int c = accept(s, 0, 0);
    char req[4096];
    if (read(c, req, sizeof req) < 0) return 1;  /* the request, so closing does not reset it */
    dprintf(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n%s", report);
    shutdown(c, SHUT_WR);
    while (read(c, req, sizeof req) > 0) {}
    close(c);
  }
  return 0;
}
C
gcc -O2 -o "$proj/build/stats-linux-amd64" "$work/stats.c" || fail "cannot compile the test program"

# The Dockerfile of issue 13, verbatim.
cat >"$proj/Dockerfile" <<'DOCKERFILE'
FROM alpine:latest
WORKDIR /app
ENV TZ Europe/Ljubljana
RUN apk --no-cache add ca-certificates tzdata && ln -snf /usr/share/zoneinfo/$TZ /etc/localtime && echo $TZ > /etc/timezone
COPY /build/stats-linux-amd64 /app/service
RUN adduser -S www-data -u 1000
USER www-data
EXPOSE 3000
ENTRYPOINT ["/app/service"]
DOCKERFILE

rc=0
stdout=$(cd "$work" && "$SLIMBUILD" init --from-dockerfile stats/Dockerfile 2>"$work/init.err") || rc=$?
[[ $rc -eq 0 ]] || fail "init --from-dockerfile exited $rc: $(cat "$work/init.err")"
manifest=$proj/slimbuild.yml
assert_eq "$manifest" "$(tail -n 1 <<<"$stdout")" "last stdout line of init (the manifest beside the Dockerfile)"
assert_not_contains "$(cat "$work/init.err")" "not translated" "stderr of init on the issue's Dockerfile"
assert_not_contains "$(cat "$work/init.err")" "does not load" "stderr of init on the issue's Dockerfile"
text=$(cat "$manifest")
# The keys, read as YAML (not grepped), so quoting and layout cannot fool us.
keys=$("$SB_PY" - "$manifest" <<'PY'
import sys, yaml
m = yaml.safe_load(open(sys.argv[1]))
print(m["binary"]["path"], m["binary"]["dest"], m["user"]["name"], m["user"]["uid"], m["timezone"],
      m["ca_certificates"], m["tzdata"], m["ports"], m["workdir"], m["entrypoint"])
PY
) || fail "the manifest is not YAML:
$text"
assert_eq "build/stats-linux-amd64 /app/service www-data 1000 Europe/Ljubljana True True ['3000/tcp'] /app ['/app/service']" \
  "$keys" "manifest keys translated from the Dockerfile"

# Never replaced without --force; with --force the same bytes again.
sum=$(sha256sum <"$manifest")
rc=0
"$SLIMBUILD" init --from-dockerfile "$proj/Dockerfile" >/dev/null 2>"$work/again.err" || rc=$?
assert_eq 1 "$rc" "exit code of init over an existing manifest"
assert_contains "$(cat "$work/again.err")" "already exists" "stderr of init over an existing manifest"
assert_contains "$(cat "$work/again.err")" "--force" "stderr of init over an existing manifest"
assert_eq "$sum" "$(sha256sum <"$manifest")" "the existing manifest after a refused init"
"$SLIMBUILD" init --from-dockerfile "$proj/Dockerfile" --force >/dev/null 2>&1 || fail "init --force failed"
assert_eq "$sum" "$(sha256sum <"$manifest")" "the manifest written again with --force (same input, same bytes)"

out=$work/out/stats
sb_build "$manifest" "$out"
config=$(oci_json "$out" latest config)
assert_eq '1000:1000' "$(json_get 'j["config"]["User"]' <<<"$config")" "image User"
assert_eq '["/app/service"]' "$(json_get 'j["config"]["Entrypoint"]' <<<"$config")" "image Entrypoint"
assert_eq "/app" "$(json_get 'j["config"]["WorkingDir"]' <<<"$config")" "image WorkingDir"
assert_eq '["3000/tcp"]' "$(json_get 'sorted(j["config"]["ExposedPorts"])' <<<"$config")" "image ExposedPorts"
assert_contains "$(json_get 'j["config"]["Env"]' <<<"$config")" "TZ=Europe/Ljubljana" "image Env"

image=$(image_unpack "$out" latest)
rc=0
output=$(image_exec "$image" - 2>&1) || rc=$?
[[ $rc -eq 0 ]] || fail "the translated image did not run (exit $rc):
$output"
# Same binary (its own report), same user, same zone (CET in November), a real CA bundle, WORKDIR.
assert_contains "$output" "uid=1000 gid=1000 user=www-data TZ=Europe/Ljubljana zone=23:13 CET +0100" "the program's report in the image"
assert_match "$output" "certs=[1-9][0-9]* cwd=/app exe=/app/service" "the program's report in the image"
cmp -s "$proj/build/stats-linux-amd64" "$image/bundle/rootfs/app/service" || fail "/app/service in the image is not build/stats-linux-amd64"
[[ -L $image/bundle/rootfs/etc/localtime ]] || fail "no /etc/localtime link in the image"

# The port: the program answers on a loopback port from inside the image.
port=$(free_port)
image_http_get "$image" - "$port" "$work/serve.log" -- serve "$port"
assert_contains "$HTTP_BODY" "uid=1000 gid=1000 user=www-data" "answer of the image's program on port $port (log: $(cat "$work/serve.log"))"

# The real runtime agrees: docker load + a hardened docker run as the image's
# own User, and docker inspect showing what the Dockerfile declared.
source "$SLIMBUILD_SOURCE_DIR/tests/support/dockerd.sh"
need_cmd docker dockerd
dockerd_start
"$SLIMBUILD" build "$manifest" --format docker-archive --tag localhost/init/service:1 -o "$work/service.tar" \
  >/dev/null 2>"$work/archive.err" || fail "docker-archive build: $(cat "$work/archive.err")"
loaded=$(docker load -i "$work/service.tar" 2>&1) || fail "docker load failed: $loaded"
output=$(docker run --rm --network none --read-only --cap-drop ALL --security-opt no-new-privileges \
  localhost/init/service:1 2>&1) || fail "docker run of the translated image failed: $output"
assert_contains "$output" "uid=1000 gid=1000 user=www-data TZ=Europe/Ljubljana zone=23:13 CET +0100" "docker run of the translated image"
assert_match "$output" "certs=[1-9][0-9]* cwd=/app exe=/app/service" "docker run of the translated image"
inspect=$(docker inspect --format '{{json .Config.ExposedPorts}} {{.Config.User}} {{.Config.WorkingDir}} {{json .Config.Entrypoint}}' localhost/init/service:1)
assert_eq '{"3000/tcp":{}} 1000:1000 /app ["/app/service"]' "$inspect" "docker inspect of the translated image"
dockerd_stop

# --- init BINARY: the system curl (links libcurl/OpenSSL) ----------------------
curl_manifest=$work/curl/slimbuild.yml
mkdir -p "$work/curl"
(cd "$work/curl" && "$SLIMBUILD" init /usr/bin/curl >/dev/null 2>"$work/curl.err") || fail "init /usr/bin/curl failed: $(cat "$work/curl.err")"
assert_eq "/usr/bin/curl app 65532 True None" "$("$SB_PY" - "$curl_manifest" <<'PY'
import sys, yaml
m = yaml.safe_load(open(sys.argv[1]))
print(m["binary"]["path"], m["user"]["name"], m["user"]["uid"], m.get("ca_certificates"), m.get("tzdata"))
PY
)" "init /usr/bin/curl: binary, user, ca_certificates, tzdata"
sb_build "$curl_manifest" "$work/out/curl"
curl_img=$(image_unpack "$work/out/curl" latest)
output=$(image_exec "$curl_img" - -- --version 2>&1) || fail "curl --version failed in the init image: $output"
assert_match "$output" "^curl [0-9]+\.[0-9]+.*OpenSSL" "curl --version in the init image"
output=$(image_exec "$curl_img" - -- -sS file:///etc/ssl/certs/ca-certificates.crt 2>&1) || fail "curl cannot read the CA bundle: $output"
assert_contains "$output" "BEGIN CERTIFICATE" "the CA bundle read by curl in the init image"

# --- init BINARY: the static Go example (crypto/x509 roots, time zones) ---------
go_manifest=$(build_example_cached hello-go "$work")
go_dir=$(dirname "$go_manifest")
"$SLIMBUILD" init "$go_dir/build/hello" -o "$go_dir/init.yml" >/dev/null 2>"$work/go.err" || fail "init of hello-go failed: $(cat "$work/go.err")"
assert_eq "build/hello /app/hello True True" "$("$SB_PY" - "$go_dir/init.yml" <<'PY'
import sys, yaml
m = yaml.safe_load(open(sys.argv[1]))
print(m["binary"]["path"], m["binary"]["dest"], m.get("ca_certificates"), m.get("tzdata"))
PY
)" "init of the static Go binary: binary (relative), ca_certificates, tzdata"
sb_build "$go_dir/init.yml" "$work/out/go"
go_img=$(image_unpack "$work/out/go" latest)
rc=0
output=$(image_exec "$go_img" - 2>&1) || rc=$?
[[ $rc -eq 0 ]] || fail "hello-go from the init manifest exited $rc:
$output"
assert_contains "$output" "uid=65532 gid=65532" "hello-go from the init manifest"
assert_contains "$output" "Europe/Ljubljana 1700000000 is 2023-11-14 23:13:20 CET (+0100)" "hello-go from the init manifest"
assert_contains "$output" "all checks passed" "hello-go from the init manifest"

# --- lines that cannot be translated are named, on stderr and in the file ---
named=$work/named
mkdir -p "$named/build"
cp "$proj/build/stats-linux-amd64" "$named/build/app"
printf 'FROM debian:12\nRUN apt-get update && apt-get install -y libpq5 \\\n    && make install\nCOPY build/app /usr/local/bin/app\nHEALTHCHECK CMD app --ping\nUSER nobody\nCMD ["app"]\n' >"$named/Dockerfile"
"$SLIMBUILD" init --from-dockerfile "$named/Dockerfile" >/dev/null 2>"$work/named.err" || fail "init of a Dockerfile with untranslated lines: $(cat "$work/named.err")"
err=$(cat "$work/named.err")
assert_contains "$err" "not translated: line 2: RUN apt-get update && apt-get install -y libpq5" "stderr of init"
assert_contains "$err" "package libpq5 not installed" "stderr of init"
assert_contains "$err" "make install" "stderr of init"
assert_contains "$err" "not translated: line 5: HEALTHCHECK" "stderr of init"
assert_contains "$(cat "$named/slimbuild.yml")" "#   line 5: HEALTHCHECK CMD app --ping" "comments at the end of the manifest"
sb_build "$named/slimbuild.yml" "$work/out/named"
assert_eq '65534:65534' "$(oci_json "$work/out/named" latest config | json_get 'j["config"]["User"]')" "User of USER nobody"

# --- refusals -----------------------------------------------------------------
expect_fail() {  # expect_fail CODE NEEDLE ARGS...
  local code=$1 needle=$2 rc=0
  shift 2
  "$SLIMBUILD" init "$@" >"$work/fail.out" 2>"$work/fail.err" || rc=$?
  assert_eq "$code" "$rc" "exit code of init $*"
  assert_contains "$(cat "$work/fail.err")" "$needle" "stderr of init $*"
  assert_not_contains "$(cat "$work/fail.err")" "internal error" "stderr of init $*"
}
bad=$work/bad
mkdir -p "$bad"
expect_fail 2 "needs a BINARY or --from-dockerfile" -o "$bad/x.yml"
expect_fail 2 "not both" /usr/bin/curl --from-dockerfile "$proj/Dockerfile" -o "$bad/x.yml"
expect_fail 2 "is not a manifest name" /usr/bin/curl --name 'Bad Name' -o "$bad/x.yml"
expect_fail 1 "does not exist" "$bad/missing" -o "$bad/x.yml"
expect_fail 1 "does not exist" --from-dockerfile "$bad/Dockerfile" -o "$bad/x.yml"
printf '#!/bin/sh\necho hi\n' >"$bad/script.sh"
expect_fail 1 "script.sh" "$bad/script.sh" -o "$bad/x.yml"
head -c 5000 /dev/urandom >"$bad/Dockerfile"
expect_fail 1 "Dockerfile" --from-dockerfile "$bad/Dockerfile" -o "$bad/x.yml"
printf 'FROM alpine\nENTRYPOINT ["/bin/sh", "-c", "echo hi"]\n' >"$bad/Dockerfile"
expect_fail 1 "puts the program /bin/sh" --from-dockerfile "$bad/Dockerfile" -o "$bad/x.yml"
[[ ! -e $bad/x.yml ]] || fail "a failed init left $bad/x.yml behind"
assert_eq "Dockerfile script.sh" "$(ls "$bad" | tr '\n' ' ' | sed 's/ $//')" "files beside the failed init outputs"
note "ok: Dockerfile translated, built and run as www-data with zone, CA bundle and port; curl and hello-go from init BINARY"
