#!/usr/bin/env bash
# The runtime keys, proved by docker itself (a private dockerd):
#   capabilities: [net_bind_service]  the non-root binary binds port 80 under
#       --cap-drop ALL --cap-add NET_BIND_SERVICE, and the same image without
#       the key cannot (nor can it under no-new-privileges, which makes the
#       kernel ignore file capabilities). The layer carries the attribute as
#       pax SCHILY.xattr.security.capability, VFS_CAP_REVISION_2.
#   stop_signal: SIGINT  in docker inspect, and what `docker stop` sends.
#   volumes + writable  docker inspect's Volumes; under --read-only the user
#       writes the volume (docker copies the directory's owner into it), and
#       nowhere else.
#   arbitrary_uid  a random uid in group 0 writes the home and the volume;
#       without the key it cannot write the home.
#   annotations  on the OCI manifest docker pulls from a registry.
# Each image is built twice to show the keys are reproducible.
# The kernel default for unprivileged ports is restored with --sysctl: docker
# 20.10 sets net.ipv4.ip_unprivileged_port_start=0 in container network
# namespaces, which would let anyone bind port 80 and prove nothing.
SLIMBUILD_SOURCE_DIR=${SLIMBUILD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
source "$(dirname "$0")/lib.sh"
sb_on_exit reg_cleanup
source "$SLIMBUILD_SOURCE_DIR/tests/support/dockerd.sh"
need_root
need_cmd go dockerd docker-registry skopeo

export SOURCE_DATE_EPOCH=1700000000
work=$(sb_tmpdir work)
dockerd_start
start_registry plain plain

# build_archive MANIFEST OUT: a docker-archive that must build, twice, to
# the same bytes (the second time from another directory).
build_archive() {
  "$SLIMBUILD" build "$1" --format docker-archive -o "$2" >"$work/out" 2>"$work/err" ||
    fail "build of $1: $(cat "$work/err")"
  (cd / && "$SLIMBUILD" build "$1" --format docker-archive -o "$2.again" >/dev/null 2>"$work/err") ||
    fail "second build of $1: $(cat "$work/err")"
  cmp -s "$2" "$2.again" || fail "two builds of $1 differ"
}

# ---- hello-go with a capability, a stop signal, a volume ---------------------
manifest=$(build_example_cached hello-go "$work/src")
plain_go=$work/src/hello-go/plain.yml
cp "$manifest" "$plain_go"
sed -i 's|^image: .*|image: localhost:5000/test/go-plain:1.0|' "$plain_go"
cat >>"$manifest" <<'YAML'
capabilities: [NET_BIND_SERVICE]
stop_signal: int
YAML
build_archive "$manifest" "$work/go.tar"
build_archive "$plain_go" "$work/go-plain.tar"
docker load -i "$work/go.tar" >/dev/null || fail "docker load of hello-go"
docker load -i "$work/go-plain.tar" >/dev/null || fail "docker load of plain hello-go"
img=localhost:5000/examples/hello-go:1.0
assert_eq SIGINT "$(docker image inspect -f '{{.Config.StopSignal}}' "$img")" "StopSignal in docker inspect"

# The layer holds the attribute, on the binary only, in the kernel's format.
"$SB_PY" - "$work/go.tar" <<'PY' || fail "security.capability is not in the layer as expected"
import io, json, sys, tarfile
with tarfile.open(sys.argv[1]) as outer:
    (entry,) = json.load(outer.extractfile("manifest.json"))
    layer = outer.extractfile(entry["Layers"][0]).read()
with tarfile.open(fileobj=io.BytesIO(layer), mode="r:gz") as t:
    caps = {m.name: m.pax_headers["SCHILY.xattr.security.capability"]
            for m in t if "SCHILY.xattr.security.capability" in m.pax_headers}
assert list(caps) == ["app/hello"], caps
raw = caps["app/hello"].encode("utf-8", "surrogateescape")
# VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE, permitted = 1 << CAP_NET_BIND_SERVICE (10)
assert raw == bytes.fromhex("01000002" "00040000" "00000000" "00000000" "00000000"), raw.hex()
PY

lowports=(--sysctl net.ipv4.ip_unprivileged_port_start=1024)
# A server on port 80 as uid 65532 with only NET_BIND_SERVICE left.
docker run -d --name srv --network none --cap-drop ALL --cap-add NET_BIND_SERVICE "${lowports[@]}" \
  "$img" -serve 0.0.0.0:80 >/dev/null || fail "docker run of the port-80 server"
for _ in $(seq 1 100); do
  logs=$(docker logs srv 2>&1)
  [[ $logs == *"serving on"* || $(docker inspect -f '{{.State.Running}}' srv) == false ]] && break
  sleep 0.1
done
sleep 0.5  # a failed bind exits right after the "serving on" line
assert_eq true "$(docker inspect -f '{{.State.Running}}' srv)" "the port-80 server is running (logs: $(docker logs srv 2>&1))"
assert_contains "$(docker logs srv 2>&1)" "uid=65532 gid=65532" "port-80 server logs"
status=$(docker inspect -f '{{.State.Pid}}' srv)
assert_match "$(grep CapEff "/proc/$status/status")" $'CapEff:\t0000000000000400' "the server's effective capabilities"
# docker stop sends the image's StopSignal (2), not SIGTERM (15).
since=$(date +%s)
docker stop -t 20 srv >/dev/null || fail "docker stop"
events=$(docker events --since "$since" --until "$(($(date +%s) + 1))" --filter container=srv --filter event=kill)
assert_contains "$events" "signal=2" "docker events for docker stop"
docker rm srv >/dev/null

# Without the attribute the same run cannot bind, and no-new-privileges
# makes the kernel ignore it.
rc=0
out=$(docker run --rm --network none --cap-drop ALL --cap-add NET_BIND_SERVICE "${lowports[@]}" \
  localhost:5000/test/go-plain:1.0 -serve 0.0.0.0:80 2>&1) || rc=$?
[[ $rc -ne 0 ]] || fail "hello-go without capabilities: bound port 80 anyway: $out"
assert_contains "$out" "permission denied" "hello-go without capabilities"
rc=0
out=$(docker run --rm --network none --cap-drop ALL --cap-add NET_BIND_SERVICE --security-opt no-new-privileges \
  "${lowports[@]}" "$img" -serve 0.0.0.0:80 2>&1) || rc=$?
[[ $rc -ne 0 ]] || fail "file capabilities worked under no-new-privileges: $out"
assert_contains "$out" "permission denied" "hello-go with capabilities under no-new-privileges"

# ---- curl with a writable volume, arbitrary_uid, annotations ----------------
cp "$SLIMBUILD_SOURCE_DIR/manifests/curl.yml" "$work/curl.yml"
sed -i 's|^image: .*|image: localhost:5000/test/curl-state:1.0|' "$work/curl.yml"
cat >>"$work/curl.yml" <<'YAML'
volumes: [/var/lib/curl]
writable: [/var/lib/curl, /var/cache/curl]
arbitrary_uid: true
annotations: {org.example.owner: payments}
YAML
build_archive "$work/curl.yml" "$work/curl.tar"
build_archive "$SLIMBUILD_SOURCE_DIR/manifests/curl.yml" "$work/curl-plain.tar"
docker load -i "$work/curl.tar" >/dev/null || fail "docker load of curl"
docker load -i "$work/curl-plain.tar" >/dev/null || fail "docker load of plain curl"
img=localhost:5000/test/curl-state:1.0
plain=localhost:5000/tools/curl:7.88
assert_eq '{"/var/lib/curl":{}}' "$(docker image inspect -f '{{json .Config.Volumes}}' "$img")" "Volumes in docker inspect"

ro=(--rm --network none --read-only --cap-drop ALL --security-opt no-new-privileges)
out=$(docker run "${ro[@]}" "$img" -sS -o /var/lib/curl/copy file:///etc/passwd 2>&1) ||
  fail "the user cannot write its volume under --read-only: $out"
rc=0
out=$(docker run "${ro[@]}" "$img" -sS -o /var/cache/curl/copy file:///etc/passwd 2>&1) || rc=$?
[[ $rc -ne 0 ]] || fail "a writable directory that is not a volume was writable under --read-only"
# The owner and mode docker gave the volume are the image directory's.
vol=$(docker run -d --network none "$img" -sS -o /var/lib/curl/copy file:///etc/passwd)
docker wait "$vol" >/dev/null
mount=$(docker inspect -f '{{range .Mounts}}{{.Source}}{{end}}' "$vol")
assert_eq "10001:0 775" "$(stat -c '%u:%g %a' "$mount")" "owner and mode of the volume docker made"
assert_eq "10001:10001" "$(stat -c '%u:%g' "$mount/copy")" "owner of the file the user wrote"
docker rm -v "$vol" >/dev/null

# OpenShift-style: a random uid in group 0 writes the home and the volume.
random=(--rm --network none --cap-drop ALL --security-opt no-new-privileges --user 1000770000:0)
out=$(docker run "${random[@]}" "$img" -sS -o /home/curl/copy file:///etc/passwd 2>&1) ||
  fail "a random uid in group 0 cannot write the home with arbitrary_uid: $out"
out=$(docker run "${random[@]}" "$img" -sS -o /var/lib/curl/copy file:///etc/passwd 2>&1) ||
  fail "a random uid in group 0 cannot write the volume with arbitrary_uid: $out"
rc=0
out=$(docker run "${random[@]}" "$plain" -sS -o /home/curl/copy file:///etc/passwd 2>&1) || rc=$?
[[ $rc -ne 0 ]] || fail "without arbitrary_uid a random uid could write the home"

# Annotations travel on the manifest: pushed, pulled by docker, read back.
"$SLIMBUILD" build "$work/curl.yml" -o "$work/curl-layout" --push --tag "$REG_ADDR/test/curl-state:1.0" \
  --insecure-registry >"$work/push.out" 2>"$work/err" || fail "push: $(cat "$work/err")"
digest=$(tail -n 1 "$work/push.out")
docker pull "$REG_ADDR/test/curl-state:1.0" >/dev/null || fail "docker pull"
assert_eq "$REG_ADDR/test/curl-state@$digest" "$(docker image inspect -f '{{join .RepoDigests " "}}' "$REG_ADDR/test/curl-state:1.0")" \
  "RepoDigests of the pulled image"
raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG_ADDR/test/curl-state@$digest") || fail "skopeo inspect --raw"
assert_eq payments "$(json_get 'j["annotations"]["org.example.owner"]' <<<"$raw")" "annotation on the pulled manifest"
assert_eq curl "$(json_get 'j["annotations"]["org.opencontainers.image.title"]' <<<"$raw")" "standard annotations kept"
assert_eq null "$(docker image inspect -f '{{json .Config.Labels}}' "$img" | json_get 'j.get("org.example.owner")')" \
  "annotations are not config labels"
note "ok"
