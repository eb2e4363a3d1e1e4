// Trust and time: the CA bundle at the path OpenSSL, Go and curl look for
// first on Debian (/etc/ssl/certs/ca-certificates.crt), and zoneinfo files
// under /usr/share/zoneinfo with /etc/localtime pointing at the chosen zone.
//
// Zones keep Debian's link structure (UTC -> Etc/UTC): the link and its
// target both go in, so TZ=UTC and TZ=Etc/UTC both work. `tzdata: true`
// ships the whole database except right/ (leap-second variants no program
// uses unless TZ names them) and posix/ (a directory of links duplicating the
// main tree), which keeps the image ~half the size of a full copy, and the
// localtime link (the build host's own setting).
#pragma once

#include <string>

#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/rootfs/tree.hpp>

namespace slimbuild::rootfs {

inline constexpr const char* kCaBundlePath = "/etc/ssl/certs/ca-certificates.crt";
inline constexpr const char* kZoneinfoDir = "/usr/share/zoneinfo";

// ca_certificates: the manifest's PEM file, else <sysroot>/etc/ssl/certs/
// ca-certificates.crt. Throws unless it holds at least one certificate.
void add_ca_bundle(Rootfs& rootfs, const manifest::Manifest& manifest,
                   const util::FileSystem& files = util::real_filesystem());

// tzdata: zones (plus `timezone:`), or the whole database (its files held
// within `hold`, tree.hpp); /etc/localtime.
void add_tzdata(Rootfs& rootfs, const manifest::Manifest& manifest, HoldBudget* hold = nullptr,
                const util::FileSystem& files = util::real_filesystem());

// True when the file holds "-----BEGIN CERTIFICATE-----" (read in bounded
// chunks, so a huge file does not grow memory).
bool contains_pem_certificate(const fs::path& file, const util::FileSystem& files = util::real_filesystem());

}  // namespace slimbuild::rootfs
