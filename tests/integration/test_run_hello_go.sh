#!/usr/bin/env bash
# The static Go example: its image must hold the binary and the system files
# and nothing else - no loader, no /lib, no library at all - and run as
# 65532: crypto/x509 finds the CA pool, time.LoadLocation finds the zone.
# Then it serves HTTP from inside the image, reached from the host.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd go umoci curl

work=$(sb_tmpdir work)
manifest=$(build_example hello-go "$work")
out=$work/out/hello-go
sb_build "$manifest" "$out"

listing=$(layer_listing "$out" 1.0)
names=$(awk '{print $5}' <<<"$listing" | sed 's#^\./##; s#/$##')
# /usr/lib/os-release is scanner metadata (base-files' file), not a library.
if grep -vx 'usr/lib/os-release' <<<"$names" | grep -E '^(lib|lib64|lib32|libx32|usr/lib64)(/|$)|^usr/lib/'; then
  fail "a static binary's image holds library directories (listed above)"
fi
if grep -E '\.so(\.[0-9]+)*$' <<<"$names"; then fail "a static binary's image holds shared objects (listed above)"; fi
# Exactly: the binary, the user's files, CA data, the zone - and their parents.
# Besides the program's own: the scanner metadata (docs/manifest.md, scanner_metadata)
# for the packages whose files it holds (tzdata's zone, base-files' os-release).
scanner='etc/debian_version|etc/os-release|usr/lib|usr/lib/os-release|usr/share/doc(/[^/]+(/copyright)?)?|var|var/lib|var/lib/dpkg|var/lib/dpkg/status\.d(/[^/]+)?'
unexpected=$(grep -vxE "app|app/hello|etc|etc/passwd|etc/group|etc/nsswitch.conf|etc/ssl|etc/ssl/certs|etc/ssl/certs/ca-certificates.crt|tmp|home|home/app|usr|usr/share|usr/share/zoneinfo|usr/share/zoneinfo/Europe|usr/share/zoneinfo/Europe/Ljubljana|$scanner" <<<"$names" | grep -v '^$' || true)
grep -qx 'var/lib/dpkg/status.d/tzdata' <<<"$names" || fail "no dpkg record for tzdata, whose zone the image holds"
[[ -z $unexpected ]] || fail "unexpected members in the hello-go layer:
$unexpected"

image=$(image_unpack "$out" 1.0)
rc=0
output=$(image_exec "$image" 65532:65532 2>&1) || rc=$?
[[ $rc -eq 0 ]] || fail "hello-go exited $rc inside the image:
$output"
assert_contains "$output" "uid=65532 gid=65532" "hello-go output"
assert_match "$output" "system CA pool: [1-9][0-9]* certificates" "hello-go output"
assert_contains "$output" "Europe/Ljubljana 1700000000 is 2023-11-14 23:13:20 CET (+0100)" "hello-go output"
assert_contains "$output" "no shell" "hello-go output"
assert_contains "$output" "all checks passed" "hello-go output"

# Serve from inside the image (same network namespace as the host) on a free
# loopback port, fetch from the host, then stop it by its process group.
port=$(free_port)
image_http_get "$image" 65532:65532 "$port" "$work/serve.log" -- -serve "127.0.0.1:$port"
assert_contains "$HTTP_BODY" "uid=65532" "HTTP response of hello-go served from the image (log: $(cat "$work/serve.log"))"
note "ok: $(wc -l <<<"$names") members"
