// Parser-message translations and the look-back heuristics behind hints.
#include "manifest/yaml_syntax.hpp"

#include <cctype>
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

std::string hint_for(std::string_view text, int line) {
  auto lines = lines_up_to(text, line);
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
  return SyntaxExplanation{"YAML syntax error: " + what, hint_for(text, line)};
}

}  // namespace slimbuild::manifest
