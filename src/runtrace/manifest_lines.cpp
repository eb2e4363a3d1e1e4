// Proposal -> manifest text, and the line editor behind --write (see
// manifest_lines.hpp). Only top-level `libraries:` and `files:` keys are
// touched; everything else is copied byte for byte.
#include <slimbuild/runtrace/manifest_lines.hpp>

#include <sstream>
#include <vector>

#include <slimbuild/util/error.hpp>

namespace slimbuild::runtrace {

namespace {

bool plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_./+@~=-").find(c) != std::string_view::npos;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string ltrim(const std::string& s) {
  size_t i = s.find_first_not_of(" \t");
  return i == std::string::npos ? "" : s.substr(i);
}

std::string rtrim(const std::string& s) {
  size_t i = s.find_last_not_of(" \t\r");
  return i == std::string::npos ? "" : s.substr(0, i + 1);
}

// The value part of "key: value  # comment", without the comment. A '#'
// only starts a comment after whitespace (YAML's rule); quotes are rare
// enough in these two keys that they are not tracked.
std::string value_of(const std::string& line, size_t after_colon, std::string* comment) {
  std::string rest = line.substr(after_colon);
  for (size_t i = 0; i < rest.size(); ++i)
    if (rest[i] == '#' && (i == 0 || rest[i - 1] == ' ' || rest[i - 1] == '\t')) {
      if (comment) *comment = rest.substr(i);
      rest = rest.substr(0, i);
      break;
    }
  return rtrim(ltrim(rest));
}

// Adds `items` to the top-level list `key` in `lines`.
void add_items(std::vector<std::string>& lines, const std::string& key, const std::vector<std::string>& items) {
  if (items.empty()) return;
  size_t k = lines.size();
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.compare(0, key.size() + 1, key + ":") == 0 &&
        (l.size() == key.size() + 1 || l[key.size() + 1] == ' ' || l[key.size() + 1] == '\t')) {
      k = i;
      break;
    }
  }
  if (k == lines.size()) {
    if (!lines.empty() && !rtrim(lines.back()).empty()) lines.emplace_back();
    lines.push_back(key + ":");
    for (const auto& it : items) lines.push_back("  - " + it);
    return;
  }
  std::string comment;
  std::string value = value_of(lines[k], key.size() + 1, &comment);
  if (value.empty() || value == "[]") {
    if (value == "[]") lines[k] = key + ":" + (comment.empty() ? "" : "  " + comment);
    size_t last = k;
    std::string indent = "  ";
    bool found_item = false;
    for (size_t j = k + 1; j < lines.size(); ++j) {
      std::string t = ltrim(lines[j]);
      if (t.empty() || t[0] == '#') continue;
      if (lines[j][0] != ' ' && lines[j][0] != '\t' && lines[j][0] != '-') break;
      last = j;
      if (!found_item && t[0] == '-') {
        indent = lines[j].substr(0, lines[j].size() - t.size());
        found_item = true;
      }
    }
    std::vector<std::string> add;
    for (const auto& it : items) add.push_back(indent + "- " + it);
    lines.insert(lines.begin() + static_cast<long>(last + 1), add.begin(), add.end());
    return;
  }
  if (value.front() == '[' && value.back() == ']') {
    size_t close = lines[k].rfind(']', lines[k].size() - comment.size());
    std::string joined;
    for (const auto& it : items) joined += ", " + it;
    lines[k].insert(close, joined);
    return;
  }
  throw Error("line " + std::to_string(k + 1) + ": cannot add entries to `" + key + ":` written as `" + value + "`",
              "write `" + key + ":` as a block list (one `- item` per line) or a one-line [flow list], or paste the "
              "lines `slimbuild trace --run` prints");
}

}  // namespace

std::string yaml_scalar(const std::string& s) {
  bool plain = !s.empty() && std::string_view("-?:,[]{}#&*!|>'\"%@`~").find(s[0]) == std::string_view::npos;
  for (char c : s) plain = plain && plain_char(c);
  if (plain) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string file_item(const FileLine& line) {
  std::string s = "{src: " + yaml_scalar(line.src) + ", dest: " + yaml_scalar(line.dest);
  if (line.executable) s += ", mode: \"0755\"";
  return s + "}";
}

namespace {

std::vector<std::string> library_items(const Proposal& p) {
  std::vector<std::string> items;
  for (const auto& l : p.libraries) items.push_back(yaml_scalar(l));
  return items;
}

std::vector<std::string> file_items(const Proposal& p) {
  std::vector<std::string> items;
  for (const auto& f : p.files) items.push_back(file_item(f));
  for (const auto& b : p.binaries) items.push_back(file_item(b));
  return items;
}

}  // namespace

std::string render_lines(const Proposal& proposal) {
  std::string out;
  auto block = [&](const char* key, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += std::string(key) + ":\n";
    for (const auto& it : items) out += "  - " + it + "\n";
  };
  block("libraries", library_items(proposal));
  block("files", file_items(proposal));
  return out;
}

std::string add_to_manifest(const std::string& manifest_text, const Proposal& proposal) {
  std::vector<std::string> lines = split_lines(manifest_text);
  add_items(lines, "libraries", library_items(proposal));
  add_items(lines, "files", file_items(proposal));
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace slimbuild::runtrace
