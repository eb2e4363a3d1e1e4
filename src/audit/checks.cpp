// The posture checks. Executables are recognised by name, the way an
// attacker with a foothold would look for them: a shell or package manager
// anywhere on disk (a regular file with an exec bit, or a symlink such as
// /bin/sh -> dash) is one; libraries and data named alike are not. Users are
// read from the image's own /etc/passwd, so a User: name that passwd lacks
// (the container would fail to start, or run as an unexpected id) is caught.
#include "audit/checks.hpp"

#include <map>
#include <regex>
#include <sstream>

#include <slimbuild/inspect/image_files.hpp>

namespace slimbuild::audit {

namespace {

std::string basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

bool executable(const AuditFile& f) { return f.type == inspect::FileType::Symlink || f.type == inspect::FileType::HardLink || (f.type == inspect::FileType::File && (f.mode & 0111)); }

const char* executable_rule(const std::string& name) {
  static const std::regex shell("(sh|bash|rbash|dash|ash|zsh|ksh|ksh93|mksh|pdksh|lksh|yash|csh|tcsh|fish|busybox|toybox)");
  static const std::regex manager(
      "(apt|apt-get|apt-cache|aptitude|dpkg|dpkg-deb|dpkg-query|apk|rpm|rpmdb|yum|dnf|microdnf|tdnf|zypper|pacman|"
      "pip|pip[0-9.]+|easy_install(-[0-9.]+)?|conda|mamba|gem|npm|yarn|opkg|emerge|nix-env)");
  static const std::regex interpreter(
      "(python|python[0-9.]+|pypy[0-9.]*|perl|perl[0-9.]+|ruby|ruby[0-9.]+|irb|node|nodejs|deno|bun|php|php[0-9.]+|"
      "lua|lua[0-9.]+|luajit|tclsh|tclsh[0-9.]+|wish|guile|java|jshell|Rscript|awk|gawk|mawk|nawk|expect)");
  if (std::regex_match(name, shell)) return "shell";
  if (std::regex_match(name, manager)) return "package-manager";
  if (std::regex_match(name, interpreter)) return "interpreter";
  return nullptr;
}

std::string describe(const AuditFile& f) {
  std::string d = f.type == inspect::FileType::Symlink ? "symlink to " + f.link : "mode " + inspect::mode_string(f.mode);
  if (f.type != inspect::FileType::Symlink) d += ", owner " + std::to_string(f.uid) + ":" + std::to_string(f.gid);
  return d;
}

struct PasswdEntry {
  std::string name, uid, gid, shell;
};

std::vector<PasswdEntry> passwd_entries(const AuditImage& image) {
  std::vector<PasswdEntry> out;
  auto it = image.contents.find("/etc/passwd");
  if (it == image.contents.end()) return out;
  std::istringstream in(it->second);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string part; std::getline(ss, part, ':');) f.push_back(part);
    if (line.back() == ':') f.push_back("");
    if (f.size() < 7) continue;
    out.push_back({f[0], f[2], f[3], f[6]});
  }
  return out;
}

bool no_login(const std::string& shell) {
  std::string name = basename(shell);
  return name == "nologin" || name == "false" || name == "sync" || name == "halt" || name == "shutdown";
}

}  // namespace

// Directory symlinks at the top of the image (/bin -> usr/bin): alias -> target directory.
std::map<std::string, std::string> directory_aliases(const AuditImage& image) {
  std::map<std::string, std::string> out;
  for (const auto& [path, f] : image.files) {
    if (f.type != inspect::FileType::Symlink || path.find('/', 1) != std::string::npos || f.link.empty()) continue;
    std::string target = f.link[0] == '/' ? f.link : "/" + f.link;
    while (target.size() > 1 && target.back() == '/') target.pop_back();
    auto it = image.files.find(target);
    if (it != image.files.end() && it->second.type == inspect::FileType::Directory) out[path] = target;
  }
  return out;
}

void check_executables(const AuditImage& image, std::vector<Finding>& out) {
  auto aliases = directory_aliases(image);
  for (const auto& [path, f] : image.files) {
    if (!executable(f)) continue;
    const char* rule = executable_rule(basename(path));
    if (!rule) continue;
    Finding finding{rule, path, describe(f), {}};
    for (const auto& [alias, dir] : aliases)
      if (path.rfind(dir + "/", 0) == 0) finding.also.push_back(alias + path.substr(dir.size()));
    out.push_back(std::move(finding));
  }
}

void check_permissions(const AuditImage& image, std::vector<Finding>& out) {
  for (const auto& [path, f] : image.files) {
    if (f.type == inspect::FileType::File && (f.mode & 04000)) out.push_back({"setuid", path, describe(f)});
    if (f.type == inspect::FileType::File && (f.mode & 02000)) out.push_back({"setgid", path, describe(f)});
    if (!f.capability.empty()) out.push_back({"file-capability", path, describe_capability(f.capability)});
    bool sticky_tmp = f.type == inspect::FileType::Directory && (f.mode & 01000) && (path == "/tmp" || path == "/var/tmp");
    if (f.type != inspect::FileType::Symlink && (f.mode & 0002) && !sticky_tmp) out.push_back({"world-writable", path, describe(f)});
  }
}

void check_users(const AuditImage& image, std::vector<Finding>& out) {
  auto entries = passwd_entries(image);
  std::string user = image.config.is_object() ? image.config.value("User", "") : "";
  std::string name = user.substr(0, user.find(':'));
  std::string group = user.find(':') == std::string::npos ? "" : user.substr(user.find(':') + 1);
  bool numeric = !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
  if (name.empty() || name == "root" || (numeric && std::stoull(name.substr(0, 12)) == 0)) {
    out.push_back({"root-user", "", user.empty() ? "no User in the config: runs as root" : "User " + user + " is root"});
  } else if (!numeric) {
    const PasswdEntry* e = nullptr;
    for (const auto& p : entries)
      if (p.name == name) e = &p;
    if (!e)
      out.push_back({"unknown-user", "/etc/passwd", "User " + user + ": /etc/passwd has no entry '" + name + "'"});
    else if (e->uid == "0")
      out.push_back({"root-user", "/etc/passwd", "User " + user + " has uid 0 in /etc/passwd"});
  }
  if (group == "0" || group == "root") out.push_back({"root-user", "", "User " + user + " runs with group root"});
  for (const auto& p : entries)
    if (!no_login(p.shell))
      out.push_back({"login-shell", "/etc/passwd",
                     p.name + " (uid " + p.uid + ") has login shell " + (p.shell.empty() ? "(empty: /bin/sh)" : p.shell)});
}

}  // namespace slimbuild::audit
