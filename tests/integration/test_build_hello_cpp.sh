#!/usr/bin/env bash
# What the hello-cpp image holds, checked from outside with skopeo and by
# reading the layer tar directly: the config (user, entrypoint, env, ports,
# labels, amd64/linux), one layer, the binary with its loader and C++
# runtime, passwd/group with exactly the one non-root user, CA bundle, the
# two zones and /etc/localtime, /tmp 1777 - and no shell, no setuid/setgid
# bit, no package manager, nothing owned by anyone but root except the home.
source "$(dirname "$0")/lib.sh"
need_cmd skopeo g++

work=$(sb_tmpdir work)
manifest=$(build_example hello-cpp "$work")
out=$work/out/hello-cpp
sb_build "$manifest" "$out"
tag=1.0

# --- the config, as skopeo (containers/image) reads it ---------------------
inspect=$(skopeo inspect "oci:$out:$tag") || fail "skopeo inspect oci:$out:$tag failed"
assert_eq amd64 "$(json_get 'j["Architecture"]' <<<"$inspect")" "Architecture"
assert_eq linux "$(json_get 'j["Os"]' <<<"$inspect")" "Os"
assert_eq "$SB_DIGEST" "$(json_get 'j["Digest"]' <<<"$inspect")" "the digest skopeo computes vs the one slimbuild printed"
assert_eq 1 "$(json_get 'len(j["Layers"])' <<<"$inspect")" "number of layers"
config=$(skopeo inspect --config "oci:$out:$tag") || fail "skopeo inspect --config failed"
assert_eq "65532:65532" "$(json_get 'j["config"]["User"]' <<<"$config")" "User"
assert_eq '["/app/hello"]' "$(json_get 'j["config"]["Entrypoint"]' <<<"$config")" "Entrypoint"
env=$(json_get '"\n".join(j["config"]["Env"])' <<<"$config")
for want in "TZ=Europe/Ljubljana" "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" "LOG_LEVEL=info" \
  "GREETING=hello from slimbuild"; do
  assert_contains "$env" "$want" "Env"
done
assert_eq '["8080/tcp"]' "$(json_get 'sorted(j["config"]["ExposedPorts"])' <<<"$config")" "ExposedPorts"
assert_eq platform "$(json_get 'j["config"]["Labels"]["org.example.team"]' <<<"$config")" "label org.example.team"
assert_eq 1 "$(json_get 'len(j["rootfs"]["diff_ids"])' <<<"$config")" "number of diff_ids"

# --- the layer, member by member --------------------------------------------
listing=$(layer_listing "$out" "$tag")
names=$(awk '{print $5}' <<<"$listing" | sed 's#^\./##; s#/$##')
has() { grep -qxF "$1" <<<"$names" || fail "the layer has no $1; it holds:
$names"; }
for p in app/hello etc/passwd etc/group etc/nsswitch.conf etc/ssl/certs/ca-certificates.crt \
  usr/share/zoneinfo/Europe/Ljubljana usr/share/zoneinfo/UTC etc/localtime tmp home/app; do
  has "$p"
done
# The loader and the libraries at the paths the loader opens, through the
# image's own symlinks (merged /usr: /lib64 -> usr/lib64 and so on).
interp=$(readelf -l "$work/hello-cpp/build/hello" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[[ -n $interp ]] || fail "cannot read PT_INTERP of hello"
layer_resolve "$out" "$tag" "$interp" >/dev/null || fail "the interpreter $interp does not resolve in the image"
for lib in libstdc++.so.6 libgcc_s.so.1 libm.so.6 libc.so.6; do
  found=0
  for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
    layer_resolve "$out" "$tag" "$d/$lib" >/dev/null 2>&1 && found=1
  done
  ((found)) || fail "$lib is not reachable in the image's library path"
done

while read -r type mode owner mtime name rest; do
  clean=${name#./}
  clean=${clean%/}
  [[ $name != /* && "/$clean/" != */../* ]] || fail "unsafe member name '$name'"
  ((8#$mode & 8#6000)) && fail "setuid/setgid bit on $name ($mode)"
  # (directories such as /var/lib/dpkg, which holds the scanners' records, are no program)
  [[ $type == d ]] || case "/$clean" in
    */sh | */bash | */dash | */busybox | */apt | */apt-get | */dpkg | */su | */sudo)
      fail "the layer holds $clean" ;;
  esac
  [[ $type == other* ]] && fail "unexpected member type $type for $name"
  if [[ $clean == home/app ]]; then
    assert_eq "65532:65532" "$owner" "owner of the home directory"
  else
    assert_eq "0:0" "$owner" "owner of $name"
  fi
done <<<"$listing"
grep -qE '^d 1777 0:0 [0-9]+ (\./)?tmp/?$' <<<"$listing" || fail "/tmp is not a 1777 directory:
$(grep -E ' (\./)?tmp/?$' <<<"$listing")"
grep -qE '^f 0755 0:0 [0-9]+ (\./)?app/hello$' <<<"$listing" || fail "/app/hello is not a 0755 file"
assert_eq 1 "$(awk '{print $4}' <<<"$listing" | sort -u | wc -l)" "number of distinct mtimes in the layer"
grep -qE "^l [0-7]+ 0:0 [0-9]+ (\./)?etc/localtime -> (/usr/share/zoneinfo/|\.\./usr/share/zoneinfo/)Europe/Ljubljana$" <<<"$listing" ||
  fail "/etc/localtime does not point at Europe/Ljubljana: $(grep localtime <<<"$listing")"

passwd=$(layer_file "$out" "$tag" /etc/passwd)
assert_eq 1 "$(grep -c . <<<"$passwd")" "number of lines in /etc/passwd"
assert_match "$passwd" '^app:x:65532:65532:[^:]*:/home/app:[^:]*$' "/etc/passwd"
assert_not_contains "$passwd" "root" "/etc/passwd"
group=$(layer_file "$out" "$tag" /etc/group)
assert_eq 1 "$(grep -c . <<<"$group")" "number of lines in /etc/group"
assert_match "$group" '^app:x:65532:' "/etc/group"
certs=$(layer_file "$out" "$tag" /etc/ssl/certs/ca-certificates.crt | grep -c 'BEGIN CERTIFICATE')
((certs > 0)) || fail "the CA bundle in the image has no certificate"
cmp -s <(layer_file "$out" "$tag" /app/hello) "$work/hello-cpp/build/hello" || fail "/app/hello differs from the built binary"

layer_size=$(stat -c %s "$(oci_json "$out" "$tag" layer)")
((layer_size < 8 * 1024 * 1024)) || fail "the layer is $layer_size bytes; expected a few MB"
note "ok: $(wc -l <<<"$listing") members, layer $layer_size bytes, $certs certificates, digest $SB_DIGEST"
