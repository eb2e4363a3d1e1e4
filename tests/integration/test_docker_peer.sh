#!/usr/bin/env bash
# Docker as a real peer: a private dockerd (tests/support/dockerd.sh) loads
# our docker-archive, pulls what `build --push` put in a real docker-registry,
# and runs the images the way a careful operator would: no network, read-only
# root (a tmpfs /tmp), every capability dropped, no-new-privileges, as the
# image's own user. `docker inspect` must show the User, Env, Entrypoint,
# Cmd, WorkingDir, ExposedPorts and the created time slimbuild wrote. Covered:
# both examples (dynamic C++ with CA + zones, static Go) and a real system
# binary (curl with its whole library closure).
SLIMBUILD_SOURCE_DIR=${SLIMBUILD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
# lib.sh's EXIT trap replaces the registry helpers' one, which becomes a hook.
source "$(dirname "$0")/lib.sh"
sb_on_exit reg_cleanup
source "$SLIMBUILD_SOURCE_DIR/tests/support/dockerd.sh"
need_root
need_cmd g++ go docker-registry dockerd

export SOURCE_DATE_EPOCH=1700000000
created_want=2023-11-14T22:13:20Z
work=$(sb_tmpdir work)

dockerd_start
start_registry plain plain

# Hardened run of an image as its own user (no --user: the image's User).
docker_run_hardened() {
  docker run --rm --network none --read-only --tmpfs /tmp:mode=1777 \
    --cap-drop ALL --security-opt no-new-privileges "$@"
}

# docker_archive_config TAR: the image config inside our docker-archive.
docker_archive_config() {
  "$SB_PY" - "$1" <<'PY'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    (entry,) = json.load(t.extractfile("manifest.json"))
    sys.stdout.write(t.extractfile(entry["Config"]).read().decode())
PY
}

# check_inspect REF TAR: the config docker shows is the one we wrote.
check_inspect() {
  local ref=$1 tar=$2
  local seen ours
  seen=$(docker image inspect "$ref") || fail "docker image inspect $ref"
  ours=$(docker_archive_config "$tar") || fail "cannot read the config in $tar"
  "$SB_PY" - "$seen" "$ours" "$created_want" <<'PY' || fail "docker inspect of $ref disagrees with our config"
import json, sys
seen = json.loads(sys.argv[1])[0]
ours = json.loads(sys.argv[2])
want_created = sys.argv[3]
c, o = seen["Config"], ours["config"]
errors = []
def same(key, a, b):
    if a != b:
        errors.append(f"{key}: docker shows {a!r}, we wrote {b!r}")
same("User", c.get("User"), o.get("User"))
same("Env", c.get("Env"), o.get("Env"))
same("Entrypoint", c.get("Entrypoint"), o.get("Entrypoint"))
same("Cmd", c.get("Cmd"), o.get("Cmd"))
same("WorkingDir", c.get("WorkingDir") or "", o.get("WorkingDir") or "")
same("ExposedPorts", c.get("ExposedPorts"), o.get("ExposedPorts"))
same("Labels", c.get("Labels"), o.get("Labels"))
# docker prints Created with nanoseconds; the second must be ours.
created = seen["Created"].split(".")[0].rstrip("Z") + "Z"
same("Created", created, want_created)
same("our created", ours["created"], want_created)
same("Architecture", seen["Architecture"], ours["architecture"])
same("Os", seen["Os"], ours["os"])
same("RootFS", seen["RootFS"]["Layers"], ours["rootfs"]["diff_ids"])
if errors:
    sys.exit("\n".join(errors))
PY
}

# ---- hello-cpp: docker load of the docker-archive --------------------------
manifest=$(build_example_cached hello-cpp "$work/src")
# A working directory too, so WorkingDir has something to show.
printf 'workdir: /tmp\n' >>"$manifest"
"$SLIMBUILD" build "$manifest" --format docker-archive -o "$work/cpp.tar" >"$work/out" 2>"$work/err" ||
  fail "docker-archive build: $(cat "$work/err")"
loaded=$(docker load -i "$work/cpp.tar" 2>&1) || fail "docker load failed: $loaded"
assert_contains "$loaded" "Loaded image: localhost:5000/examples/hello-cpp:1.0" "docker load output"
ref=localhost:5000/examples/hello-cpp:1.0
check_inspect "$ref" "$work/cpp.tar"
assert_eq "65532:65532" "$(docker image inspect -f '{{.Config.User}}' "$ref")" "User of the loaded image"
assert_eq "/tmp" "$(docker image inspect -f '{{.Config.WorkingDir}}' "$ref")" "WorkingDir"
assert_eq '{"8080/tcp":{}}' "$(docker image inspect -f '{{json .Config.ExposedPorts}}' "$ref")" "ExposedPorts"
env=$(docker image inspect -f '{{json .Config.Env}}' "$ref")
assert_contains "$env" '"TZ=Europe/Ljubljana"' "Env"
assert_contains "$env" '"GREETING=hello from slimbuild"' "Env"
assert_contains "$env" '"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"' "Env"

out=$(docker_run_hardened "$ref" --expect-tz=CET 2>&1) || fail "hello-cpp under docker run failed:
$out"
assert_contains "$out" "uid=65532 gid=65532" "hello-cpp under docker"
assert_match "$out" "CA bundle /etc/ssl/certs/ca-certificates.crt: [1-9][0-9]* certificates" "hello-cpp under docker"
assert_contains "$out" "TZ=Europe/Ljubljana 1700000000 is 2023-11-14 23:13:20 CET (+0100)" "hello-cpp under docker"
assert_contains "$out" "no shell (/bin/sh absent)" "hello-cpp under docker"
assert_contains "$out" "all checks passed" "hello-cpp under docker"
# The root really is read-only and the checks can fail: without the tmpfs,
# /tmp is part of the read-only root and the program says so (exit 6).
rc=0
out=$(docker run --rm --network none --read-only --cap-drop ALL --security-opt no-new-privileges "$ref" 2>&1) || rc=$?
assert_eq 6 "$rc" "exit code of hello-cpp with a read-only /tmp (output: $out)"

# ---- hello-cpp: build --push, then docker pull from the registry -----------
reg_ref=$REG_ADDR/examples/hello-cpp:1.0
sb_build "$manifest" "$work/cpp" --push --tag "$reg_ref" --insecure-registry
cpp_digest=$SB_DIGEST
# dockerd trusts plain http on 127.0.0.0/8 without --insecure-registry.
pulled=$(docker pull "$reg_ref" 2>&1) || fail "docker pull $reg_ref failed: $pulled"
assert_contains "$pulled" "Digest: $cpp_digest" "docker pull output"
assert_eq "$REG_ADDR/examples/hello-cpp@$cpp_digest" \
  "$(docker image inspect -f '{{join .RepoDigests " "}}' "$reg_ref")" "RepoDigests of the pulled image"
check_inspect "$reg_ref" "$work/cpp.tar"
# Pulled and loaded are one image: the same config, the same image ID.
assert_eq "$(docker image inspect -f '{{.Id}}' "$ref")" "$(docker image inspect -f '{{.Id}}' "$reg_ref")" \
  "image ID of the pulled vs the loaded image"
out=$(docker_run_hardened "$reg_ref" 2>&1) || fail "pulled hello-cpp failed: $out"
assert_contains "$out" "all checks passed" "pulled hello-cpp under docker"

# ---- hello-go: static binary ------------------------------------------------
manifest=$(build_example_cached hello-go "$work/src")
"$SLIMBUILD" build "$manifest" --format docker-archive -o "$work/go.tar" >"$work/out" 2>"$work/err" ||
  fail "docker-archive build of hello-go: $(cat "$work/err")"
loaded=$(docker load -i "$work/go.tar" 2>&1) || fail "docker load of hello-go failed: $loaded"
ref=localhost:5000/examples/hello-go:1.0
check_inspect "$ref" "$work/go.tar"
out=$(docker_run_hardened "$ref" 2>&1) || fail "hello-go under docker run failed: $out"
assert_contains "$out" "hello-go: uid=65532 gid=65532" "hello-go under docker"
assert_contains "$out" "Europe/Ljubljana 1700000000 is 2023-11-14 23:13:20 CET (+0100)" "hello-go under docker"
assert_contains "$out" "all checks passed" "hello-go under docker"

# ---- a real system binary: curl ---------------------------------------------
"$SLIMBUILD" build "$SLIMBUILD_SOURCE_DIR/manifests/curl.yml" --format docker-archive -o "$work/curl.tar" \
  --tag "$REG_ADDR/tools/curl:7.88" >"$work/out" 2>"$work/err" || fail "curl docker-archive: $(cat "$work/err")"
loaded=$(docker load -i "$work/curl.tar" 2>&1) || fail "docker load of curl failed: $loaded"
ref=$REG_ADDR/tools/curl:7.88
assert_contains "$loaded" "Loaded image: $ref" "docker load output for curl"
check_inspect "$ref" "$work/curl.tar"
out=$(docker_run_hardened "$ref" 2>&1) || fail "curl --version under docker failed: $out"
assert_match "$out" "^curl [0-9]+\.[0-9]+" "curl --version under docker"
# The kernel's view of who runs it: the image's uid, no capabilities at all.
status=$(docker_run_hardened "$ref" -sS file:///proc/self/status 2>&1) || fail "curl file:///proc/self/status: $status"
assert_match "$status" $'Uid:\t10001\t10001\t10001\t10001' "curl's /proc/self/status under docker"
assert_match "$status" $'CapEff:\t0000000000000000' "curl's effective capabilities under docker"
assert_match "$status" $'NoNewPrivs:\t1' "curl's no_new_privs under docker"
passwd=$(docker_run_hardened "$ref" -sS file:///etc/passwd 2>&1) || fail "curl file:///etc/passwd: $passwd"
assert_eq "curl:x:10001:10001::/home/curl:/sbin/nologin" "$passwd" "/etc/passwd of the curl image"
note "ok"
