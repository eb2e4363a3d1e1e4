// Parser-message translations and the look-back heuristics behind hints.
#include "manifest/yaml_syntax.hpp"

#include <cctype>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace slimbuild::manifest {

namespace {

// yaml-cpp's messages (src/exceptions.h ErrorMsg) that users actually hit.
const std::pair<std::string_view, std::string_view> kMessages[] = {
    {"illegal map value", "a 'key: value' pair is not allowed here"},
    {"end of map flow not found", "a '{' is never closed with '}'"},
    {"end of sequence flow not found", "a '[' is never closed with ']'"},
    {"illegal flow end", "an unexpected ']' or '}'"},
    {"end of map not found", "this line does not line up with the mapping above it"},
    {"end of sequence not found", "this line does not line up with the list above it"},
    {"block sequence entries are not allowed in this context", "a '- ' list entry is not allowed here"},
    {"unknown escape character", "an unknown escape sequence in a double-quoted string"},
    {"end of string not found", "a quoted string is never closed"},
    {"the referenced anchor is not defined", "this alias (*name) refers to an anchor (&name) that is not defined"},
    {"cannot assign multiple tags to the same node", "a node has two tags"},
    {"cannot assign multiple anchors to the same node", "a node has two anchors"},
};

std::vector<std::string_view> lines_up_to(std::string_view text, int line) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos <= text.size() && static_cast<int>(out.size()) < line) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool indented_with_tab(std::string_view l) {
  for (char c : l) {
    if (c == '\t') return true;
    if (c != ' ') return false;
  }
  return false;
}

// "name:hello" (no space after the colon) reads as one string in YAML.
bool missing_space_after_colon(std::string_view l) {
  while (!l.empty() && (l.front() == ' ' || l.front() == '-')) l.remove_prefix(1);
  std::size_t i = 0;
  while (i < l.size() && (std::isalnum(static_cast<unsigned char>(l[i])) || l[i] == '_')) ++i;
  return i > 0 && i + 1 < l.size() && l[i] == ':' && l[i + 1] != ' ' && l[i + 1] != '/' &&
         l.find(": ") == std::string_view::npos;
}

// Where the innermost '[' or '{' still open at the end of `lines` was
// opened: "line 3, column 7". Quoted strings and comments are skipped.
std::string unclosed_bracket(const std::vector<std::string_view>& lines, char open) {
  struct Open {
    char c;
    std::size_t line, column;
  };
  std::vector<Open> stack;
  for (std::size_t n = 0; n < lines.size(); ++n) {
    std::string_view l = lines[n];
    for (std::size_t i = 0; i < l.size(); ++i) {
      char c = l[i];
      if (c == '#' && (i == 0 || l[i - 1] == ' ')) break;
      if (c == '"' || c == '\'') {
        for (++i; i < l.size() && l[i] != c; ++i)
          if (c == '"' && l[i] == '\\') ++i;
      } else if (c == '[' || c == '{') {
        stack.push_back(Open{c, n + 1, i + 1});
      } else if ((c == ']' || c == '}') && !stack.empty()) {
        stack.pop_back();
      }
    }
  }
  for (auto it = stack.rbegin(); it != stack.rend(); ++it)
    if (it->c == open) return "line " + std::to_string(it->line) + ", column " + std::to_string(it->column);
  return {};
}

std::string hint_for(std::string_view parser_message, std::string_view text, int line) {
  auto lines = lines_up_to(text, line);
  if (parser_message == "end of map flow not found" || parser_message == "end of sequence flow not found") {
    char open = parser_message == "end of map flow not found" ? '{' : '[';
    std::string where = unclosed_bracket(lines, open);
    if (!where.empty())
      return std::string("the '") + open + "' at " + where + " needs a closing '" + (open == '{' ? '}' : ']') + "'";
  }
  for (std::size_t i = lines.size(); i-- > 0;) {
    std::string at = "line " + std::to_string(i + 1);
    if (indented_with_tab(lines[i])) return "YAML does not allow tabs for indentation (" + at + "); use spaces";
    if (missing_space_after_colon(lines[i]))
      return "put a space after the ':' on " + at + " ('" + std::string(lines[i].substr(0, 40)) + "')";
  }
  return "check the indentation and quoting on this line and the one before";
}

}  // namespace

SyntaxExplanation explain_syntax_error(std::string_view parser_message, std::string_view text, int line) {
  std::string what(parser_message);
  for (const auto& [from, to] : kMessages)
    if (parser_message == from) what = to;
  // yaml-cpp: "invalid unicode: 55296" for "\ud800" (a surrogate) or "\U00110000".
  if (constexpr std::string_view kBad = "invalid unicode: "; parser_message.starts_with(kBad)) {
    std::string code(parser_message.substr(kBad.size()));
    char hex[16] = "?";
    if (!code.empty() && code.find_first_not_of("0123456789") == std::string::npos && code.size() < 10)
      std::snprintf(hex, sizeof hex, "U+%04lX", std::stoul(code));
    return SyntaxExplanation{"YAML syntax error: the escape for " + std::string(hex) +
                                 " names no Unicode character (a surrogate half, or above U+10FFFF)",
                             "write the character itself, or escape a code point up to \\U0010FFFF outside "
                             "U+D800..U+DFFF (a pair of \\u surrogates is not one character in YAML)"};
  }
  return SyntaxExplanation{"YAML syntax error: " + what, hint_for(parser_message, text, line)};
}

}  // namespace slimbuild::manifest
