// COPY and ADD in the last stage (see translate.cpp): each source becomes a
// Copy (where it lands in the image, resolved as Docker resolves directory
// destinations and WORKDIR), except what slimbuild makes itself (a copied CA
// bundle, zone data, passwd) and what it cannot carry over (downloads,
// wildcards, archives ADD unpacks, files of other images): those are notes.
// The copy of the program ENTRYPOINT/CMD runs becomes the binary.
#include "init/translate_state.hpp"

#include <algorithm>

namespace slimbuild::init::detail {

namespace fs = std::filesystem;

namespace {

bool has_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

bool is_archive(const std::string& s) {
  for (const char* ext : {".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst"})
    if (s.size() > std::string(ext).size() && s.ends_with(ext)) return true;
  return false;
}

std::string flag(const Instruction& in, const std::string& name) {
  for (const auto& [k, v] : in.flags)
    if (k == name) return v;
  return {};
}

// `COPY --from=build /etc/ssl/certs/ca-certificates.crt ...`, the zone
// database and /etc/passwd, as scratch images copy them from a builder:
// what slimbuild makes itself from ca_certificates:, tzdata: and user:.
bool system_file_copy(State& st, const Instruction& in, const std::string& src) {
  std::string p = "/" + src;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  p = fs::path(p).lexically_normal().generic_string();
  std::string where = "line " + std::to_string(in.line) + ": ";
  if (p == "/etc/ssl/certs/ca-certificates.crt" || p == "/etc/ssl/certs" || p == "/etc/ssl/cert.pem" ||
      p == "/etc/pki/tls/certs/ca-bundle.crt") {
    st.ca_package = true;
    st.s.remarks.push_back(where + "the copied CA bundle is ca_certificates: (this system's bundle)");
    return true;
  }
  if (p == "/usr/share/zoneinfo" || p.rfind("/usr/share/zoneinfo/", 0) == 0) {
    std::string zone = p == "/usr/share/zoneinfo" ? "" : p.substr(std::string("/usr/share/zoneinfo/").size());
    if (zone.empty()) st.tz_package = true;
    else if (std::find(st.s.zones.begin(), st.s.zones.end(), zone) == st.s.zones.end()) st.s.zones.push_back(zone);
    st.s.remarks.push_back(where + "the copied zone data is tzdata: (this system's zoneinfo)");
    return true;
  }
  if (p == "/etc/passwd" || p == "/etc/group") {
    st.s.remarks.push_back(where + p + " is written from user: (one user, its group)");
    return true;
  }
  return false;
}

}  // namespace

// A COPY source as the manifest writes it: the build context is the
// Dockerfile's directory, and a leading '/' in a source still means the
// context (Docker's rule); relative to the manifest's directory when inside it.
std::string manifest_source(const std::string& src, const TranslateOptions& opt) {
  std::string rel = src;
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  bool trailing = !rel.empty() && rel.back() == '/';
  fs::path abs = (opt.context_dir / rel).lexically_normal();
  fs::path r = abs.lexically_relative(opt.manifest_dir);
  std::string out;
  if (!r.empty() && *r.begin() != "..") out = r.generic_string();
  else out = abs.generic_string();
  if (out.empty()) out = ".";
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (trailing && out != ".") out += '/';
  return out;
}

void apply_copy(State& st, const Instruction& in, std::string args) {
  std::vector<std::string> words;
  if (in.exec_form) words = in.argv; else words = split_words(args);
  if (in.heredoc) return st.note(in, in.keyword + " with a heredoc: write that file into the project and add it under files:");
  if (words.size() < 2) return st.note(in, in.keyword + " needs a source and a destination");
  std::string from = flag(in, "from");
  std::string dest = words.back();
  words.pop_back();
  if (dest.empty() || std::find(words.begin(), words.end(), std::string()) != words.end())
    return st.note(in, in.keyword + " with an empty source or destination");
  bool into_dir = dest.back() == '/' || words.size() > 1;
  std::string dest_abs = join_image_path(st.workdir, dest);
  std::optional<std::string> mode;
  if (std::string m = flag(in, "chmod"); !m.empty()) {
    if (m.size() <= 4 && m.find_first_not_of("01234567") == std::string::npos) mode = std::string(4 - m.size(), '0') + m;
    else st.note(in, "--chmod=" + m + " is not an octal mode: the default mode is used");
  }
  if (!flag(in, "chown").empty())
    st.s.remarks.push_back("line " + std::to_string(in.line) + ": --chown not translated: image files belong to root; "
                           "list directories the program writes under writable:");
  if (!from.empty() && !st.stage_names.count(from))
    return st.note(in, "copies from the image '" + from + "': extract that file into the project and add it under files:");
  for (const auto& src : words) {
    if (system_file_copy(st, in, src)) continue;
    if (src.find("://") != std::string::npos || src.rfind("git@", 0) == 0) {
      st.note(in, "downloads " + src + ": fetch it into the project and add it under files:");
      continue;
    }
    if (has_glob(src)) {
      st.note(in, "source " + src + " is a wildcard: list the files (or their directory) under files:");
      continue;
    }
    if (in.keyword == "ADD" && is_archive(src) && from.empty()) {
      st.note(in, "ADD unpacks " + src + ": unpack it into the project and add the directory under files:");
      continue;
    }
    std::string base = src;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    base = fs::path(base).filename().string();
    Copy c;
    c.line = in.line;
    c.src = src;
    c.from = from;
    c.mode = mode;
    c.image_path = into_dir ? join_image_path(dest_abs, base) : dest_abs;
    c.dest = into_dir ? (dest_abs == "/" ? "/" : dest_abs + "/") : dest_abs;
    st.copies.push_back(c);
  }
}

const Copy* find_binary(const State& st, const std::string& program) {
  const Copy* hit = nullptr;
  if (program.find('/') != std::string::npos) {
    std::string want = join_image_path(st.workdir, program);
    for (const auto& c : st.copies)
      if (c.image_path == want) hit = &c;
    return hit;
  }
  // A bare name is looked up in PATH.
  for (const auto& c : st.copies) {
    fs::path p(c.image_path);
    std::string dir = p.parent_path().generic_string();
    if (p.filename() == program && (dir == "/usr/local/bin" || dir == "/usr/bin" || dir == "/bin" ||
                                    dir == "/usr/local/sbin" || dir == "/usr/sbin" || dir == "/sbin"))
      hit = &c;
  }
  return hit;
}

}  // namespace slimbuild::init::detail
