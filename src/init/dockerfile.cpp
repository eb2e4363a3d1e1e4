// The Dockerfile lexer (see dockerfile.hpp). One pass over the physical
// lines: parser directives at the top, comments and blank lines dropped,
// continuations joined, heredoc bodies consumed, then each logical line is
// split into keyword, flags and arguments. The exec form is recognised by a
// small JSON-array-of-strings reader of our own, so no input can make the
// parse recursive or allocate more than the input's size.
#include <slimbuild/init/dockerfile.hpp>

#include <cctype>
#include <cstdint>

#include <slimbuild/util/text.hpp>

namespace slimbuild::init {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_blank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Text we pass on must be UTF-8 without control characters (tabs aside):
// it ends up in YAML and on the terminal.
bool is_clean_text(std::string_view s) {
  if (!util::is_utf8(s)) return false;
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// A JSON array of strings, as Docker's exec form; false for anything else
// (Docker then treats the text as the shell form, and so do we).
bool parse_json_strings(std::string_view s, std::vector<std::string>& out) {
  size_t i = 0;
  auto ws = [&] { while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i; };
  auto hex4 = [&](uint32_t& v) {
    if (i + 4 > s.size()) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s[i++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return false;
    }
    return true;
  };
  auto string = [&](std::string& v) {
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    while (i < s.size()) {
      char c = s[i++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') { v += c; continue; }
      if (i >= s.size()) return false;
      char e = s[i++];
      switch (e) {
        case '"': v += '"'; break;
        case '\\': v += '\\'; break;
        case '/': v += '/'; break;
        case 'b': v += '\b'; break;
        case 'f': v += '\f'; break;
        case 'n': v += '\n'; break;
        case 'r': v += '\r'; break;
        case 't': v += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xd800 && cp <= 0xdbff) {  // a surrogate pair
            uint32_t lo = 0;
            if (i + 2 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return false;
            i += 2;
            if (!hex4(lo) || lo < 0xdc00 || lo > 0xdfff) return false;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return false;
          }
          append_utf8(v, cp);
          break;
        }
        default: return false;
      }
    }
    return false;
  };
  std::vector<std::string> items;
  ws();
  if (i >= s.size() || s[i] != '[') return false;
  ++i;
  ws();
  if (i < s.size() && s[i] == ']') {
    ++i;
  } else {
    while (true) {
      std::string v;
      if (!string(v)) return false;
      items.push_back(std::move(v));
      ws();
      if (i < s.size() && s[i] == ',') { ++i; ws(); continue; }
      if (i < s.size() && s[i] == ']') { ++i; break; }
      return false;
    }
  }
  ws();
  if (i != s.size()) return false;
  out = std::move(items);
  return true;
}

// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` in an argument string: the
// terminator words in order, and whether leading tabs are stripped.
std::vector<std::pair<std::string, bool>> heredoc_markers(std::string_view args) {
  std::vector<std::pair<std::string, bool>> out;
  for (size_t i = 0; i + 2 < args.size(); ++i) {
    if (args[i] != '<' || args[i + 1] != '<') continue;
    size_t j = i + 2;
    bool strip_tabs = false;
    if (j < args.size() && args[j] == '-') { strip_tabs = true; ++j; }
    char quote = 0;
    if (j < args.size() && (args[j] == '"' || args[j] == '\'')) quote = args[j++];
    size_t start = j;
    while (j < args.size() && (std::isalnum(static_cast<unsigned char>(args[j])) || args[j] == '_')) ++j;
    if (j == start) continue;
    if (quote && (j >= args.size() || args[j] != quote)) continue;
    out.emplace_back(std::string(args.substr(start, j - start)), strip_tabs);
    i = j;
  }
  return out;
}

bool takes_flags(const std::string& keyword) {
  return keyword == "FROM" || keyword == "COPY" || keyword == "ADD" || keyword == "RUN" || keyword == "HEALTHCHECK";
}

}  // namespace

std::string shorten(std::string_view text, std::size_t max) {
  std::string p = util::printable(trim(text));
  if (p.size() > max) {
    size_t cut = max;
    // Do not cut a UTF-8 sequence in half.
    while (cut > 0 && (static_cast<unsigned char>(p[cut]) & 0xc0) == 0x80) --cut;
    p = p.substr(0, cut) + "...";
  }
  return p;
}

std::vector<std::string> split_words(std::string_view args) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    char c = args[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0; else cur += c;
      continue;
    }
    if (quote == '"') {
      if (c == '"') quote = 0;
      else if (c == '\\' && i + 1 < args.size() && (args[i + 1] == '"' || args[i + 1] == '\\')) cur += args[++i];
      else cur += c;
      continue;
    }
    if (is_blank(c)) {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"') quote = c;
    else if (c == '\\' && i + 1 < args.size()) cur += args[++i];
    else cur += c;
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

Dockerfile parse_dockerfile(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos <= text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (pos < text.size()) lines.push_back(text.substr(pos));
      break;
    }
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  for (auto& l : lines)  // CRLF files
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);

  Dockerfile out;
  char escape = '\\';
  size_t i = 0;
  // Parser directives: `# name=value` lines before anything else.
  for (; i < lines.size(); ++i) {
    std::string_view l = trim(lines[i]);
    if (l.size() < 2 || l[0] != '#') break;
    std::string_view d = trim(l.substr(1));
    size_t eq = d.find('=');
    if (eq == std::string_view::npos) break;
    std::string name;
    for (char c : trim(d.substr(0, eq))) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = trim(d.substr(eq + 1));
    if (name == "escape" && (value == "`" || value == "\\")) escape = value[0];
    else if (name != "syntax" && name != "check") break;  // an ordinary comment
  }

  while (i < lines.size()) {
    std::string_view first = lines[i];
    std::string_view t = trim(first);
    if (t.empty() || t[0] == '#') { ++i; continue; }

    Instruction ins;
    ins.line = static_cast<int>(i) + 1;
    ins.text = shorten(first);
    bool clean = true;
    std::string logical;
    // Join continuations; comment and blank lines inside one are dropped.
    while (i < lines.size()) {
      std::string_view l = lines[i];
      std::string_view lt = trim(l);
      ins.end_line = static_cast<int>(i) + 1;
      ++i;
      if (!logical.empty() && (lt.empty() || lt[0] == '#')) continue;
      if (!is_clean_text(l)) clean = false;
      if (!lt.empty() && lt.back() == escape) {
        std::string_view body = l.substr(0, l.find_last_of(escape));
        logical.append(body);
        if (i >= lines.size()) break;
        continue;
      }
      logical.append(l);
      break;
    }

    std::string_view rest = trim(logical);
    size_t kw_end = 0;
    while (kw_end < rest.size() && !is_blank(rest[kw_end])) ++kw_end;
    for (char c : rest.substr(0, kw_end)) ins.keyword += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    rest = trim(rest.substr(kw_end));

    bool word_ok = !ins.keyword.empty();
    for (char c : ins.keyword) word_ok = word_ok && std::isalpha(static_cast<unsigned char>(c));
    if (!clean) {
      out.notes.push_back({ins.line, ins.text, "not UTF-8 text (or holds control characters): skipped"});
      continue;
    }
    if (!word_ok) {
      out.notes.push_back({ins.line, ins.text, "not a Dockerfile instruction"});
      continue;
    }

    if (takes_flags(ins.keyword)) {
      while (rest.size() > 2 && rest.substr(0, 2) == "--") {
        size_t end = 0;
        while (end < rest.size() && !is_blank(rest[end])) ++end;
        std::string_view flag = rest.substr(2, end - 2);
        size_t eq = flag.find('=');
        if (eq == std::string_view::npos) ins.flags.emplace_back(std::string(flag), "");
        else ins.flags.emplace_back(std::string(flag.substr(0, eq)), std::string(flag.substr(eq + 1)));
        rest = trim(rest.substr(end));
      }
    }
    ins.args = std::string(rest);
    if (!ins.args.empty() && ins.args[0] == '[') ins.exec_form = parse_json_strings(ins.args, ins.argv);

    if (ins.keyword == "RUN" || ins.keyword == "COPY" || ins.keyword == "ADD") {
      for (const auto& [word, strip_tabs] : heredoc_markers(ins.args)) {
        ins.heredoc = true;
        while (i < lines.size()) {
          std::string_view body = lines[i];
          if (strip_tabs) while (!body.empty() && body.front() == '\t') body.remove_prefix(1);
          ins.end_line = static_cast<int>(i) + 1;
          ++i;
          if (body == word) break;
        }
      }
    }
    out.instructions.push_back(std::move(ins));
  }
  return out;
}

}  // namespace slimbuild::init
