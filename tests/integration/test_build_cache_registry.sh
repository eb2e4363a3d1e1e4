#!/usr/bin/env bash
# The layer cache in a registry repository (build --cache-ref REGISTRY/REPO)
# on a real docker-registry, as CI runners share it: runner A builds and the
# entry's tag appears in the cache repository; runner B (empty cache
# directory, fresh HOME and XDG_CACHE_HOME) gets the same image with its
# layer from the registry, keeps it locally, and its --push to the same
# registry mounts the layer instead of uploading it; with the registry gone
# B is a local hit. An entry whose manifest names another blob is ignored
# with a warning, rebuilt and replaced. An unreachable registry is one
# warning and exit 0. Over TLS + htpasswd and with token auth,
# --username/--password-stdin work and the password never shows. A tag or digest in --cache-ref is a usage
# error before anything is built; --no-cache leaves the registry alone.
set -u
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
reg_require docker-registry htpasswd openssl python3 curl
unset SLIMBUILD_NO_CACHE
export SOURCE_DATE_EPOCH=1700000000

start_registry plain plain
W=$REG_WORK
PLAIN=$REG_ADDR
CACHE=$PLAIN/team/layer-cache
mkdir -p "$W/src/data"
cp /usr/bin/true "$W/src/app"
head -c 3000000 /dev/urandom > "$W/src/data/blob.bin"
seq 1 200000 > "$W/src/data/numbers.txt"
cat > "$W/src/slimbuild.yml" <<'Y'
name: cached
binary: {path: app}
user: {uid: 65532}
files:
  - {src: data/, dest: /data/}
Y
M=$W/src/slimbuild.yml

# runner NAME ARGS...: a build as a fresh CI runner NAME would run it (its own
# HOME, XDG_CACHE_HOME and cache dir); stdout -> $W/NAME.out, stderr -> .err.
runner() {
  local name=$1; shift
  mkdir -p "$W/home-$name"
  HOME="$W/home-$name" XDG_CACHE_HOME="$W/home-$name/.cache" \
    "$SLIMBUILD" build "$M" -o "$W/out-$name" --cache-dir "$W/cache-$name" --json "$@" \
    > "$W/$name.out" 2> "$W/$name.err"
}
# field NAME KEY: a top-level scalar of NAME's --json (compact, keys sorted:
# the first match is the top-level one; python3 costs a second per start here).
field() { grep -o "\"$2\":[^,}]*" "$W/$1.out" | head -n 1 | cut -d: -f2- | tr -d '"'; }
warnings() { grep -c 'warning:' "$W/$1.err"; }
tags() { curl -s "http://$PLAIN/v2/team/layer-cache/tags/list"; }
entries() { find "$W/cache-$1/entries" -name '*.json' 2>/dev/null | wc -l; }

# Runner A: a miss everywhere; the layer is built and stored in both tiers.
runner a --cache-ref "$CACHE" --insecure-registry || fail "runner A: $(cat "$W/a.err")"
digest=$(field a digest)
layer=$(field a layer_digest)
[ "$(field a layer_cache)" = null ] || fail "runner A's layer came from a cache: $(cat "$W/a.out")"
[ "$(warnings a)" = 0 ] || fail "runner A warned: $(cat "$W/a.err")"
tag=$(tags | grep -o 'slimbuild-layer-[0-9a-f]*' | sort -u)
[[ $tag =~ ^slimbuild-layer-[0-9a-f]{64}$ ]] || fail "the cache repository's tags are $(tags)"
curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$PLAIN/v2/team/layer-cache/manifests/$tag" \
  > "$W/entry.json"
python3 - "$W/entry.json" "$layer" <<'PY' || fail "the cache entry's manifest: $(cat "$W/entry.json")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["artifactType"] == "application/vnd.slimbuild.layer-cache.v1+json", m
assert [l["digest"] for l in m["layers"]] == [sys.argv[2]], m
assert m["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip", m
PY

# Runner B: nothing local; the layer comes from the registry (nothing is
# compressed: -v says where it came from), the image is the same, and the
# push to the same registry mounts the layer from the cache repository.
runner b --cache-ref "$CACHE" --insecure-registry -v --push --tag "$PLAIN/team/app:1" || fail "runner B: $(cat "$W/b.err")"
[ "$(field b digest)" = "$digest" ] || fail "runner B built $(field b digest), runner A $digest"
[ "$(field b layer_cache)" = registry ] || fail "runner B's layer_cache: $(cat "$W/b.out")"
[ "$(field b layer_from_cache)" = true ] || fail "runner B's layer_from_cache: $(cat "$W/b.out")"
grep -q "layer from the registry cache: $CACHE:$tag" "$W/b.err" || fail "no -v line for the registry hit: $(cat "$W/b.err")"
grep -q "layer (from the registry cache)" "$W/b.err" || fail "the stage time does not say registry cache: $(cat "$W/b.err")"
[ "$(entries b)" = 1 ] || fail "runner B's local cache holds $(entries b) entries"
action=$(grep -o "{\"action\":\"[a-z]*\",\"digest\":\"$layer\"" "$W/b.out" | cut -d'"' -f4)
[[ $action == mounted || $action == exists ]] || fail "the push after a registry hit $action the layer: $(cat "$W/b.err")"

# Runner B again, the cache registry unreachable: a local hit, no registry traffic, no warning.
dead=127.0.0.1:$(free_port)
runner b --cache-ref "$dead/team/layer-cache" --insecure-registry || fail "runner B (local): $(cat "$W/b.err")"
[ "$(field b layer_cache)" = local ] || fail "runner B's second build: $(cat "$W/b.out")"
[ "$(warnings b)" = 0 ] || fail "a local hit warned about the registry: $(cat "$W/b.err")"

# Registry down on an empty runner: one warning, built, exit 0, same image.
runner c --cache-ref "$dead/team/layer-cache" --insecure-registry || fail "runner C (registry down) failed: $(cat "$W/c.err")"
[ "$(field c digest)" = "$digest" ] || fail "runner C built $(field c digest)"
[ "$(warnings c)" = 1 ] || fail "registry down: expected one warning: $(cat "$W/c.err")"
grep -q "registry layer cache $dead/team/layer-cache is not used" "$W/c.err" || fail "the warning: $(cat "$W/c.err")"
# --no-cache: neither tier, so no registry warning either.
runner c --cache-ref "$dead/team/layer-cache" --insecure-registry --no-cache || fail "--no-cache: $(cat "$W/c.err")"
[ "$(warnings c)" = 0 ] || fail "--no-cache still tried the registry: $(cat "$W/c.err")"

# A corrupted entry: the tag now names a manifest whose layer is another blob.
python3 - "$PLAIN" "$tag" <<'PY' || fail "could not corrupt the cache entry"
import hashlib, json, sys, urllib.request
reg, tag = sys.argv[1:3]
base = f"http://{reg}/v2/team/layer-cache"
accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
m = json.load(urllib.request.urlopen(urllib.request.Request(f"{base}/manifests/{tag}", headers=accept)))
other = b"not the layer " * 1000
d = "sha256:" + hashlib.sha256(other).hexdigest()
loc = urllib.request.urlopen(urllib.request.Request(f"{base}/blobs/uploads/", method="POST")).headers["Location"]
loc = loc if loc.startswith("http") else f"http://{reg}{loc}"
urllib.request.urlopen(urllib.request.Request(loc + ("&" if "?" in loc else "?") + "digest=" + d, data=other, method="PUT",
                                              headers={"Content-Type": "application/octet-stream"}))
m["layers"][0].update(digest=d, size=len(other))
urllib.request.urlopen(urllib.request.Request(f"{base}/manifests/{tag}", data=json.dumps(m).encode(), method="PUT",
                                              headers={"Content-Type": m["mediaType"]}))
PY
runner d --cache-ref "$CACHE" --insecure-registry || fail "runner D (corrupt entry): $(cat "$W/d.err")"
[ "$(field d digest)" = "$digest" ] || fail "runner D built $(field d digest) over a corrupt entry"
[ "$(field d layer_cache)" = null ] || fail "runner D was served the corrupt entry: $(cat "$W/d.out")"
grep -q "warning: ignoring the registry cache entry $CACHE:$tag" "$W/d.err" || fail "no warning about the corrupt entry: $(cat "$W/d.err")"
cmp -s <(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$PLAIN/v2/team/layer-cache/manifests/$tag") \
  "$W/entry.json" || fail "the corrupt entry was not replaced"
runner e --cache-ref "$CACHE" --insecure-registry || fail "runner E: $(cat "$W/e.err")"
[ "$(field e layer_cache)" = registry ] || fail "the replaced entry is not served: $(cat "$W/e.out")"

# --cache-ref names a repository: a tag or digest is a usage error, before building.
for bad in "$CACHE:v1" "$CACHE@sha256:$(printf '%064d' 0)"; do
  rc=0
  runner f --cache-ref "$bad" --insecure-registry || rc=$?
  [ "$rc" = 2 ] || fail "--cache-ref $bad exited $rc: $(cat "$W/f.err")"
  grep -q -- "--cache-ref $bad names a" "$W/f.err" || fail "--cache-ref $bad: $(cat "$W/f.err")"
  [ ! -e "$W/out-f" ] || fail "--cache-ref $bad left an output"
  [ ! -s "$W/f.out" ] || fail "--cache-ref $bad printed on stdout"
done

# TLS + htpasswd: credentials from --username/--password-stdin, never shown.
REG_USER=cache-user
REG_PASS="c4che-$RANDOM-pass"
gen_certs "$W/certs"
start_registry tls tls-basic
TLS_CACHE=$REG_ADDR/team/layer-cache
printf '%s\n' "$REG_PASS" | runner g --cache-ref "$TLS_CACHE" --ca-file "$W/certs/ca.pem" --username "$REG_USER" \
  --password-stdin || fail "runner G (TLS): $(cat "$W/g.err")"
[ "$(warnings g)" = 0 ] || fail "runner G could not store: $(cat "$W/g.err")"
printf '%s\n' "$REG_PASS" | runner h --cache-ref "$TLS_CACHE" --ca-file "$W/certs/ca.pem" --username "$REG_USER" \
  --password-stdin || fail "runner H (TLS): $(cat "$W/h.err")"
[ "$(field h layer_cache)" = registry ] || fail "runner H over TLS: $(cat "$W/h.out" "$W/h.err")"
[ "$(field h digest)" = "$digest" ] || fail "runner H built $(field h digest)"
# Without credentials the registry says 401: one warning, still built.
runner i --cache-ref "$TLS_CACHE" --ca-file "$W/certs/ca.pem" || fail "runner I (no credentials): $(cat "$W/i.err")"
[ "$(warnings i)" = 1 ] || fail "runner I: expected one warning: $(cat "$W/i.err")"
grep -qi "401\|unauthorized" "$W/i.err" || fail "runner I's warning does not say unauthorized: $(cat "$W/i.err")"

# Token auth (a JWT issuer): the cache gets a bearer token for its own
# repository, and the push after a registry hit mounts with pull on it.
start_token_server
start_registry tok token
TOK_CACHE=$REG_ADDR/team/layer-cache
printf '%s\n' "$REG_PASS" | runner j --cache-ref "$TOK_CACHE" --insecure-registry --username "$REG_USER" \
  --password-stdin || fail "runner J (token): $(cat "$W/j.err")"
[ "$(warnings j)" = 0 ] || fail "runner J could not store with a token: $(cat "$W/j.err")"
printf '%s\n' "$REG_PASS" | runner k --cache-ref "$TOK_CACHE" --insecure-registry --username "$REG_USER" \
  --password-stdin --push --tag "$REG_ADDR/team/app:1" || fail "runner K (token): $(cat "$W/k.err")"
[ "$(field k layer_cache)" = registry ] || fail "runner K with a token: $(cat "$W/k.out" "$W/k.err")"
action=$(grep -o "{\"action\":\"[a-z]*\",\"digest\":\"$layer\"" "$W/k.out" | cut -d'"' -f4)
[ "$action" = mounted ] || fail "the push after a token registry hit $action the layer: $(cat "$W/k.err")"
! grep -q -- "$REG_PASS" "$W"/*.out "$W"/*.err || fail "the password appears in the output"
echo PASS
