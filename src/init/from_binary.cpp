// The rules of `init BINARY` (docs/init.md, "Starting from a binary"):
//  - ca_certificates when the closure holds a TLS library (OpenSSL, GnuTLS,
//    NSS, libcurl, mbedTLS, wolfSSL, LibreSSL's libtls, BoringSSL) or the
//    binary itself names the system bundle, as Go's crypto/x509 does
//    ("/etc/ssl/certs/ca-certificates.crt", "SSL_CERT_FILE").
//  - tzdata when the binary or one of its libraries names the zone database
//    ("zoneinfo": Go's time package, ICU, static glibc). glibc's own libc.so
//    names it in every dynamic program, so it does not count: a C program
//    that only calls localtime() with TZ set needs `tzdata:` added by hand.
// The byte scan streams each file in 1 MiB blocks with an overlap, so
// memory does not depend on the file size.
#include <slimbuild/init/from_binary.hpp>

#include <array>
#include <fstream>

#include <slimbuild/init/translate.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>

namespace slimbuild::init {

namespace fs = std::filesystem;

namespace {

// Which of `needles` occur in the file (never throws: unreadable = none).
std::vector<bool> scan_file(const fs::path& file, const std::vector<std::string_view>& needles) {
  std::vector<bool> found(needles.size(), false);
  std::ifstream in(file, std::ios::binary);
  if (!in) return found;
  size_t keep = 0;
  for (auto n : needles) keep = std::max(keep, n.size());
  std::string window;
  std::vector<char> block(1 << 20);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    std::streamsize got = in.gcount();
    if (got <= 0) break;
    window.append(block.data(), static_cast<size_t>(got));
    for (size_t i = 0; i < needles.size(); ++i)
      if (!found[i] && window.find(needles[i]) != std::string::npos) found[i] = true;
    if (window.size() > keep) window.erase(0, window.size() - keep);
  }
  return found;
}

bool is_c_library(const std::string& soname) {
  return soname.rfind("libc.so", 0) == 0 || soname.rfind("ld-linux", 0) == 0 || soname.rfind("libc.musl", 0) == 0 ||
         soname.rfind("ld-musl", 0) == 0;
}

}  // namespace

std::string tls_library(const std::vector<std::string>& libraries) {
  for (const auto& lib : libraries)
    for (const char* prefix : {"libssl.so", "libgnutls.so", "libnss3.so", "libcurl.so", "libcurl-gnutls.so",
                               "libcurl-nss.so", "libmbedtls.so", "libwolfssl.so", "libtls.so", "libboringssl.so",
                               "libssl3.so"})
      if (lib.rfind(prefix, 0) == 0) return lib;
  return {};
}

BinaryFacts read_binary_facts(const fs::path& binary) {
  trace::TraceOptions options;
  trace::TraceResult r = trace::trace_binary(binary, options);
  BinaryFacts f;
  f.file_name = binary.filename().string();
  f.is_static = r.binary.elf.is_static();
  for (const auto& lib : r.libraries) f.libraries.push_back(lib.requested);
  auto hits = scan_file(r.binary.host_path, {"/etc/ssl/certs/ca-certificates.crt", "SSL_CERT_FILE", "zoneinfo",
                                             "\xff Go buildinf:"});
  f.names_ca_paths = hits[0] || hits[1];
  f.names_zoneinfo = hits[2];
  f.go = hits[3];
  for (const auto& lib : r.libraries) {
    if (f.names_zoneinfo) break;
    if (is_c_library(fs::path(lib.image_path).filename().string())) continue;
    f.names_zoneinfo = scan_file(lib.host_path, {"zoneinfo"})[0];
  }
  return f;
}

Starter starter_from_facts(const BinaryFacts& f, const FromBinaryOptions& o) {
  Starter s;
  s.name = o.name.empty() ? manifest_name(f.file_name) : o.name;
  s.header.push_back("Starter manifest for " + f.file_name + ", written by `slimbuild init`.");
  s.header.push_back("Check it, then build: slimbuild build THIS-FILE -o out/IMAGE");
  fs::path rel = o.binary.lexically_normal().lexically_relative(o.manifest_dir.lexically_normal());
  s.binary_path = (!rel.empty() && *rel.begin() != "..") ? rel.generic_string() : o.binary.lexically_normal().generic_string();
  s.binary_dest = "/app/" + s.name;
  if (f.is_static)
    s.binary_comments.push_back("static binary: the image holds it and the files below, no libraries");
  else
    s.binary_comments.push_back(std::to_string(f.libraries.size()) +
                                " shared libraries traced; dlopen()ed ones are not visible to the trace: "
                                "`slimbuild trace --run -- PROGRAM` finds them (libraries:)");
  s.user_comments.push_back("a non-root user of its own (slimbuild refuses root)");
  std::string tls = tls_library(f.libraries);
  if (!tls.empty()) {
    s.ca_certificates = true;
    s.ca_comments.push_back("it links " + tls + " (TLS): the system CA bundle");
  } else if (f.names_ca_paths) {
    s.ca_certificates = true;
    s.ca_comments.push_back(f.go ? "Go's crypto/x509 looks for the system CA bundle" : "it names the system CA bundle");
  }
  if (f.names_zoneinfo) {
    s.tzdata_all = true;
    s.tz_comments.push_back(f.go ? "Go's time package loads zones from /usr/share/zoneinfo"
                                 : "it names the time-zone database (zoneinfo)");
    s.tz_comments.push_back("list only the zones the program loads (e.g. [Europe/Ljubljana, UTC]) for a smaller image");
  }
  return s;
}

}  // namespace slimbuild::init
