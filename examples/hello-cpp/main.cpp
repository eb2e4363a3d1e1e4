// hello-cpp: the smallest program that proves a slimbuild image is complete.
// It is dynamically linked against the C++ runtime (libstdc++, libgcc_s, libm,
// libc), so it only starts if the loader and every library made it into the
// image; then it checks, one line each, what the image promises: a non-root
// user, a CA bundle with certificates, the time zone data for $TZ, no shell,
// and a writable /tmp. Any missing piece is a non-zero exit with the reason,
// so a test only has to run it. Exit codes: 0 ok, 2 root, 3 CA, 4 tz, 5 shell,
// 6 /tmp, 64 usage.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

int failed(int code, const std::string& why) {
  std::cerr << "hello-cpp: FAIL: " << why << "\n";
  return code;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// The same file glibc will open for TZ (POSIX ":" prefix, TZDIR, default
// database); empty when TZ is a POSIX rule string rather than a zone name.
std::string zone_file(std::string tz) {
  if (!tz.empty() && tz[0] == ':') tz.erase(0, 1);
  if (tz.empty() || tz[0] == '/') return tz;
  if (tz.find_first_of("0123456789,<") != std::string::npos && tz.find('/') == std::string::npos) return "";
  return env_or("TZDIR", "/usr/share/zoneinfo") + "/" + tz;
}

std::string format_local(time_t t, long* gmtoff, std::string* abbrev) {
  struct tm tm {};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z (%z)", &tm);
  *gmtoff = tm.tm_gmtoff;
  *abbrev = tm.tm_zone ? tm.tm_zone : "";
  return buf;
}

int check_user() {
  uid_t uid = getuid();
  gid_t gid = getgid();
  std::cout << "hello-cpp: uid=" << uid << " gid=" << gid << "\n";
  if (uid == 0 || gid == 0 || geteuid() == 0) return failed(2, "running as root (uid or gid 0)");
  return 0;
}

int check_ca() {
  std::string path = env_or("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt");
  std::ifstream in(path);
  if (!in) return failed(3, "cannot open the CA bundle " + path + ": " + std::strerror(errno));
  int certs = 0;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("-----BEGIN CERTIFICATE-----", 0) == 0) ++certs;
  std::cout << "hello-cpp: CA bundle " << path << ": " << certs << " certificates\n";
  if (certs == 0) return failed(3, "no certificate in " + path);
  return 0;
}

// glibc silently falls back to UTC when a zone file is missing, so the file
// is checked for the TZif magic, and a named non-UTC zone that comes out as
// "UTC" offset 0 is treated as that fallback. `expect` ("CET") pins it down.
int check_tz(const std::string& expect) {
  std::string tz = env_or("TZ", "");
  if (tz.empty()) return failed(4, "TZ is not set (the manifest's timezone: sets it)");
  std::string file = zone_file(tz);
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    char magic[4] = {};
    if (!in.read(magic, 4) || std::memcmp(magic, "TZif", 4) != 0)
      return failed(4, "time zone " + tz + ": " + file + " is missing or not a TZif file");
  }
  tzset();
  // 2023-11-14T22:13:20Z (winter) and 2023-07-22T04:26:40Z (summer).
  long off_winter = 0, off_summer = 0;
  std::string abbr_winter, abbr_summer;
  std::string winter = format_local(1700000000, &off_winter, &abbr_winter);
  std::string summer = format_local(1690000000, &off_summer, &abbr_summer);
  std::cout << "hello-cpp: TZ=" << tz << " 1700000000 is " << winter << "\n";
  std::cout << "hello-cpp: TZ=" << tz << " 1690000000 is " << summer << "\n";
  bool utc_name = tz == "UTC" || tz == ":UTC" || tz.find("/UTC") != std::string::npos ||
                  tz.find("/UCT") != std::string::npos || tz.find("Zulu") != std::string::npos;
  if (!utc_name && abbr_winter == "UTC" && off_winter == 0 && off_summer == 0)
    return failed(4, "time zone " + tz + " came out as UTC: glibc could not load it");
  if (!expect.empty() && abbr_winter != expect && abbr_summer != expect)
    return failed(4, "time zone " + tz + ": expected " + expect + ", got " + abbr_winter + "/" + abbr_summer);
  return 0;
}

int check_no_shell() {
  for (const char* sh : {"/bin/sh", "/bin/bash", "/usr/bin/sh", "/bin/busybox"}) {
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::symlink_status(sh, ec)))
      return failed(5, std::string(sh) + " exists: the image must not contain a shell");
  }
  std::cout << "hello-cpp: no shell (/bin/sh absent)\n";
  return 0;
}

int check_tmp() {
  char name[] = "/tmp/hello-cpp.XXXXXX";
  int fd = mkstemp(name);
  if (fd < 0) return failed(6, std::string("cannot create a file in /tmp: ") + std::strerror(errno));
  close(fd);
  std::string payload = "written by hello-cpp pid " + std::to_string(getpid());
  { std::ofstream(name) << payload; }
  std::stringstream back;
  back << std::ifstream(name).rdbuf();
  std::remove(name);
  if (back.str() != payload) return failed(6, "/tmp file read back differently");
  std::cout << "hello-cpp: /tmp is writable (" << name << ")\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string expect_tz;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--expect-tz=", 0) == 0) {
      expect_tz = a.substr(12);
    } else {
      std::cerr << "usage: hello [--expect-tz=ABBR]\n";
      return 64;
    }
  }
  for (auto check : {check_user, check_ca}) {
    if (int rc = check()) return rc;
  }
  if (int rc = check_tz(expect_tz)) return rc;
  for (auto check : {check_no_shell, check_tmp}) {
    if (int rc = check()) return rc;
  }
  std::cout << "hello-cpp: all checks passed" << std::endl;
  return 0;
}
