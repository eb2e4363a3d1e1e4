// Turns yaml-cpp's terse parser messages ("illegal map value") into what
// the user did wrong and how to fix it. The parser reports where it gave up,
// which is often a line after the mistake, so the hint also looks back for
// the usual culprits: a tab used for indentation, "key:value" without a
// space, a bracket that was never closed.
#pragma once

#include <string>
#include <string_view>

namespace slimbuild::manifest {

struct SyntaxExplanation {
  std::string message;  // "YAML syntax error: ..."
  std::string hint;
};

// `parser_message` is yaml-cpp's; `line` (1-based) is where it stopped.
SyntaxExplanation explain_syntax_error(std::string_view parser_message, std::string_view text, int line);

}  // namespace slimbuild::manifest
