// The YAML emitter for starter manifests (see manifest_writer.hpp). Small on
// purpose: the starter only has scalars, short lists and string maps, so a
// dozen lines of quoting rules decide everything, and the text stays in the
// order and layout a person would write (yaml-cpp's emitter would reorder
// nothing but also drop our comments). A unit test reads the output back
// with the manifest loader.
#include <slimbuild/init/manifest_writer.hpp>

#include <cctype>
#include <cstdio>

#include <slimbuild/util/text.hpp>

namespace slimbuild::init {

namespace {

bool reserved_word(std::string_view v) {
  std::string low;
  for (char c : v) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* w : {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"})
    if (low == w) return true;
  return false;
}

bool plain_ok(std::string_view v) {
  if (v.empty() || reserved_word(v)) return false;
  unsigned char first = static_cast<unsigned char>(v.front());
  if (!(std::isalpha(first) || first == '/' || first == '_')) return false;
  for (unsigned char c : v)
    if (!(std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == '+' || c == '@' || c == '='))
      return false;
  return true;
}

void comment(std::string& out, std::string_view text, std::string_view indent = "") {
  // One comment line per line of text; nothing in it can end the comment.
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    std::string clean = util::is_utf8(line) ? std::string(line) : util::printable(line);
    for (char& c : clean)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    out += indent;
    out += "# ";
    out += clean;
    out += "\n";
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
}

std::string flow_list(const std::vector<std::string>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + yaml_scalar(items[i]);
  return s + "]";
}

void string_map(std::string& out, const char* key, const std::map<std::string, std::string>& m) {
  if (m.empty()) return;
  out += std::string(key) + ":\n";
  for (const auto& [k, v] : m) out += "  " + yaml_scalar(k) + ": " + yaml_scalar(v) + "\n";
}

}  // namespace

std::string yaml_scalar(std::string_view value) {
  if (plain_ok(value)) return std::string(value);
  std::string q = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': q += "\\\""; break;
      case '\\': q += "\\\\"; break;
      case '\n': q += "\\n"; break;
      case '\t': q += "\\t"; break;
      case '\r': q += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          q += buf;
        } else {
          q += static_cast<char>(c);
        }
    }
  }
  return q + "\"";
}

std::string write_manifest(const Starter& s) {
  std::string out;
  for (const auto& h : s.header) comment(out, h);
  out += "name: " + yaml_scalar(s.name) + "\n";
  for (const auto& c : s.binary_comments) comment(out, c);
  out += "binary:\n";
  out += "  path: " + yaml_scalar(s.binary_path) + "\n";
  out += "  dest: " + yaml_scalar(s.binary_dest) + "\n";
  if (s.entrypoint) out += "entrypoint: " + flow_list(*s.entrypoint) + "\n";
  if (s.cmd) out += "cmd: " + flow_list(*s.cmd) + "\n";
  if (!s.files.empty()) {
    out += "files:\n";
    for (const auto& f : s.files) {
      out += "  - src: " + yaml_scalar(f.src) + "\n";
      out += "    dest: " + yaml_scalar(f.dest) + "\n";
      if (f.mode) out += "    mode: \"" + *f.mode + "\"\n";
    }
  }
  for (const auto& c : s.user_comments) comment(out, c);
  out += "user:\n";
  out += "  name: " + yaml_scalar(s.user_name) + "\n";
  out += "  uid: " + std::to_string(s.uid) + "\n";
  if (s.gid) out += "  gid: " + std::to_string(*s.gid) + "\n";
  for (const auto& c : s.ca_comments) comment(out, c);
  if (s.ca_certificates) out += "ca_certificates: true\n";
  for (const auto& c : s.tz_comments) comment(out, c);
  if (s.tzdata_all) out += "tzdata: true\n";
  else if (!s.zones.empty()) out += "tzdata: " + flow_list(s.zones) + "\n";
  if (s.timezone) out += "timezone: " + yaml_scalar(*s.timezone) + "\n";
  string_map(out, "env", s.env);
  if (s.workdir) out += "workdir: " + yaml_scalar(*s.workdir) + "\n";
  if (!s.ports.empty()) out += "ports: " + flow_list(s.ports) + "\n";
  string_map(out, "labels", s.labels);
  if (s.stop_signal) out += "stop_signal: " + yaml_scalar(*s.stop_signal) + "\n";
  if (!s.volumes.empty()) out += "volumes: " + flow_list(s.volumes) + "\n";
  if (!s.remarks.empty()) {
    out += "\n";
    comment(out, "Translated with a remark:");
    for (const auto& r : s.remarks) comment(out, "  " + r);
  }
  if (!s.untranslated.empty()) {
    out += "\n";
    comment(out, "Not translated (the image will not have these; add what the program needs):");
    for (const auto& n : s.untranslated)
      comment(out, "  line " + std::to_string(n.line) + ": " + n.text + "\n    " + n.why);
  }
  return out;
}

}  // namespace slimbuild::init
