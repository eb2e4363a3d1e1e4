// CA bundle and zoneinfo into the Rootfs. Both are read from the sysroot (or
// a path the manifest names), validated enough that a typo fails the build
// instead of shipping an image that fails TLS or time conversion at runtime.
#include "rootfs/ca_tz.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>

#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/manifest/zone_name.hpp>
#include <slimbuild/rootfs/secrets.hpp>
#include <slimbuild/rootfs/tree.hpp>
#include <slimbuild/util/error.hpp>

namespace slimbuild::rootfs {

namespace {

void add_zone(Rootfs& rootfs, const manifest::Manifest& m, const std::string& zone,
              const manifest::SourceLocation& where, const util::FileSystem& files) {
  auto fail = [&](const std::string& why) {
    throw manifest::ManifestError(where, "unknown time zone '" + zone + "': " + why,
                                  "use a name from " + (m.sysroot / "usr/share/zoneinfo").string() +
                                      " such as Europe/Ljubljana or UTC (is the tzdata package installed?)");
  };
  if (auto why = manifest::zone_name_problem(zone)) fail("not a zoneinfo name (" + *why + ")");
  fs::path host = m.sysroot / "usr/share/zoneinfo" / zone;
  auto st = files.stat(host);
  if (!st) fail("no such file under /usr/share/zoneinfo");
  if (S_ISDIR(st->st_mode)) fail("it is a region directory, not a zone");
  // Zone files are a few KiB (the largest in tzdata under 4 KiB).
  auto bytes = files.read_file(host, 1 << 20);
  if (!bytes && bytes.error() != EFBIG && bytes.error() != EINVAL)
    fail("cannot read it (" + std::string(std::strerror(bytes.error())) + ")");
  if (!bytes || !manifest::is_tzif_head(*bytes)) fail("not a TZif zone file");
  add_from_sysroot(rootfs, m.sysroot, std::string(kZoneinfoDir) + "/" + zone, EntryOrigin::Tzdata, {}, files);
}

}  // namespace

bool contains_pem_certificate(const fs::path& file, const util::FileSystem& files) {
  static constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  auto fd = files.open_read(file);
  if (!fd) return false;
  std::string window;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    window.append(buf, static_cast<size_t>(n));
    if (window.find(kBegin) != std::string::npos) return true;
    // Keep just enough to catch a marker split across two reads.
    window.erase(0, window.size() > kBegin.size() ? window.size() - kBegin.size() : 0);
  }
  return false;
}

void add_ca_bundle(Rootfs& rootfs, const manifest::Manifest& m, const util::FileSystem& files) {
  if (!m.ca_certificates.enabled) return;
  bool system = m.ca_certificates.bundle.empty();
  fs::path bundle = system ? m.sysroot / "etc/ssl/certs/ca-certificates.crt" : m.ca_certificates.bundle;
  auto st = files.stat(bundle);
  if (!st || !S_ISREG(st->st_mode))
    throw manifest::ManifestError(
        m.ca_certificates.where, "CA bundle " + bundle.string() + " does not exist or is not a file",
        system ? "install the ca-certificates package in the sysroot, or set ca_certificates: to a PEM file"
               : "set ca_certificates: to an existing PEM bundle, or `true` for the system's");
  if (!contains_pem_certificate(bundle, files))
    throw manifest::ManifestError(m.ca_certificates.where,
                                  "CA bundle " + bundle.string() + " holds no PEM certificate "
                                  "(no \"-----BEGIN CERTIFICATE-----\" line)",
                                  "point ca_certificates: at a PEM file with one or more certificates");
  // A bundle is public by definition; one that also carries a key (a
  // cert+key PEM picked by mistake) would publish the key in the image.
  Entry e = file_entry(bundle, kCaBundlePath, 0644, EntryOrigin::CaCertificates, files);
  util::Fd fd = util::open_checked(bundle, e.identity, fs::path(), files);
  if (auto why = secret_reason(bundle, "ca-certificates.crt", fd.get(), files))
    throw manifest::ManifestError(m.ca_certificates.where, "CA bundle " + bundle.string() + " " + *why,
                                  "a CA bundle holds certificates only; remove the private key from it");
  rootfs.add(std::move(e));
}

void add_tzdata(Rootfs& rootfs, const manifest::Manifest& m, HoldBudget* hold, const util::FileSystem& files) {
  if (m.tzdata.all) {
    TreeOptions opts;
    opts.origin = EntryOrigin::Tzdata;
    opts.filesystem = &files;
    opts.hold = hold;
    // Debian's zoneinfo/localtime -> /etc/localtime is the host's setting, not data.
    opts.skip = [](std::string_view rel, bool) { return rel == "right" || rel == "posix" || rel == "localtime"; };
    add_tree(rootfs, m.sysroot / "usr/share/zoneinfo", kZoneinfoDir, opts);
  } else {
    std::set<std::string> seen;
    for (const auto& zone : m.tzdata.zones)
      if (seen.insert(zone).second) add_zone(rootfs, m, zone, m.tzdata.where, files);
  }
  if (!m.timezone) return;
  // `timezone:` implies its zone; with `tzdata: true` it must exist in the tree.
  const std::string& zone = *m.timezone;
  if (m.tzdata.all) {
    if (manifest::zone_name_problem(zone) || !rootfs.contains(std::string(kZoneinfoDir) + "/" + zone))
      throw manifest::ManifestError(m.timezone_where, "unknown time zone '" + zone + "'",
                                    "use a name from /usr/share/zoneinfo such as Europe/Ljubljana or UTC");
  } else {
    add_zone(rootfs, m, zone, m.timezone_where, files);
  }
  Entry link;
  link.path = "/etc/localtime";
  link.type = EntryType::Symlink;
  link.mode = 0777;
  link.link_target = std::string(kZoneinfoDir) + "/" + zone;
  link.origin = EntryOrigin::Tzdata;
  rootfs.add(std::move(link));
}

}  // namespace slimbuild::rootfs
