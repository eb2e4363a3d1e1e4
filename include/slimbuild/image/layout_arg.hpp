// "DIR:TAG" on the command line: an OCI layout directory and, optionally,
// the ref.name of one image in it. One rule for `push`, `inspect`, `diff` and
// `verify --against`: a path that is a directory as given wins (so layouts
// with ':' in their name still work); otherwise the text after the last ':'
// is the tag when it has no '/' and what precedes it is a directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace slimbuild::image {

struct LayoutArg {
  std::filesystem::path dir;
  std::optional<std::string> tag;
};

// Never fails: when no split applies, `dir` is `arg` unchanged (and may not exist).
LayoutArg split_layout_arg(const std::string& arg);

}  // namespace slimbuild::image
