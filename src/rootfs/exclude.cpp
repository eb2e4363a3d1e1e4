// gitignore semantics for `exclude:` patterns on a `files:` tree, so users can
// reuse what they already know (and often the very lines of their
// .gitignore). Implemented here rather than through fnmatch(3) because
// gitignore differs from it in the details that matter: "**" spanning
// directories, patterns without a slash matching at any depth, a slash in the
// middle anchoring the pattern, a trailing slash meaning "directories only",
// and "a file inside an excluded directory cannot be re-included".
#include <slimbuild/rootfs/secrets.hpp>

namespace slimbuild::rootfs {

namespace {

template <typename Pattern>
std::optional<Pattern> parse(std::string line) {
  // Trailing spaces are ignored unless escaped with a backslash.
  while (!line.empty() && line.back() == ' ' && !(line.size() >= 2 && line[line.size() - 2] == '\\')) line.pop_back();
  if (line.empty() || line[0] == '#') return std::nullopt;
  Pattern p;
  if (line[0] == '!') {
    p.negate = true;
    line.erase(0, 1);
  } else if (line[0] == '\\' && line.size() > 1 && (line[1] == '!' || line[1] == '#')) {
    line.erase(0, 1);
  }
  if (!line.empty() && line.back() == '/') {
    p.dir_only = true;
    while (!line.empty() && line.back() == '/') line.pop_back();
  }
  if (line.empty()) return std::nullopt;
  p.anchored = line.find('/') != std::string::npos;
  if (line[0] == '/') line.erase(0, 1);
  p.glob = std::move(line);
  return p;
}

// One bracket expression starting at pat[i] == '['. Sets `matched` and
// returns the index just past ']', or npos when the bracket is unterminated
// (then '[' is an ordinary character).
std::size_t match_class(std::string_view pat, std::size_t i, char c, bool& matched) {
  std::size_t j = i + 1;
  bool negate = j < pat.size() && (pat[j] == '!' || pat[j] == '^');
  if (negate) ++j;
  bool hit = false;
  bool first = true;
  while (j < pat.size() && (first || pat[j] != ']')) {
    first = false;
    char lo = pat[j];
    if (lo == '\\' && j + 1 < pat.size()) lo = pat[++j];
    char hi = lo;
    if (j + 2 < pat.size() && pat[j + 1] == '-' && pat[j + 2] != ']') {
      hi = pat[j + 2];
      if (hi == '\\' && j + 3 < pat.size()) hi = pat[++j + 2];
      j += 2;
    }
    if (c >= lo && c <= hi) hit = true;
    ++j;
  }
  if (j >= pat.size()) return std::string_view::npos;
  matched = (hit != negate) && c != '/';
  return j + 1;
}

// wildmatch: '*' and '?' never cross '/', "**/" and "/**" do.
bool glob_match(std::string_view pat, std::string_view str) {
  std::size_t p = 0, s = 0;
  while (p < pat.size()) {
    char pc = pat[p];
    if (pc == '*') {
      bool double_star = p + 1 < pat.size() && pat[p + 1] == '*' && (p == 0 || pat[p - 1] == '/');
      if (double_star) {
        std::size_t after = p + 2;
        if (after == pat.size()) return true;  // "x/**": everything below
        if (pat[after] == '/') {
          // "**/": zero or more whole directories.
          std::string_view rest = pat.substr(after + 1);
          for (std::size_t k = s;; ) {
            if (glob_match(rest, str.substr(k))) return true;
            k = str.find('/', k);
            if (k == std::string_view::npos) return false;
            ++k;
          }
        }
      }
      while (p < pat.size() && pat[p] == '*') ++p;
      for (std::size_t k = s;; ++k) {
        if (glob_match(pat.substr(p), str.substr(k))) return true;
        if (k >= str.size() || str[k] == '/') return false;
      }
    }
    if (s >= str.size()) return false;
    if (pc == '?') {
      if (str[s] == '/') return false;
      ++p, ++s;
      continue;
    }
    if (pc == '[') {
      bool matched = false;
      std::size_t next = match_class(pat, p, str[s], matched);
      if (next != std::string_view::npos) {
        if (!matched) return false;
        p = next, ++s;
        continue;
      }
    }
    if (pc == '\\' && p + 1 < pat.size()) pc = pat[++p];
    if (pc != str[s]) return false;
    ++p, ++s;
  }
  return s == str.size();
}

template <typename Pattern>
bool pattern_matches(const Pattern& p, std::string_view path, bool is_dir) {
  if (p.dir_only && !is_dir) return false;
  if (p.anchored) return glob_match(p.glob, path);
  auto slash = path.rfind('/');
  return glob_match(p.glob, slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

ExcludeMatcher::ExcludeMatcher(std::vector<std::string> patterns) {
  for (auto& line : patterns)
    if (auto rule = parse<Rule>(std::move(line))) rules_.push_back(std::move(*rule));
}

// The last matching pattern decides.
bool ExcludeMatcher::decide(std::string_view path, bool is_dir) const {
  bool out = false;
  for (const auto& r : rules_)
    if (pattern_matches(r, path, is_dir)) out = !r.negate;
  return out;
}

bool ExcludeMatcher::excluded(std::string_view relative_path, bool is_dir) const {
  if (rules_.empty()) return false;

  while (!relative_path.empty() && relative_path.front() == '/') relative_path.remove_prefix(1);
  while (!relative_path.empty() && relative_path.back() == '/') relative_path.remove_suffix(1);
  if (relative_path.empty()) return false;

  // A path under an excluded directory is excluded whatever later patterns
  // say: git does not descend into it.
  for (std::size_t slash = relative_path.find('/'); slash != std::string_view::npos;
       slash = relative_path.find('/', slash + 1))
    if (decide(relative_path.substr(0, slash), true)) return true;
  return decide(relative_path, is_dir);
}

}  // namespace slimbuild::rootfs
