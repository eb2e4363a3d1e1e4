// YAML text for a starter manifest: keys in the order docs/manifest.md
// lists them, every string quoted when YAML would read it as something else
// (a number, a boolean, null, a flow or block indicator, a comment, a
// leading or trailing blank, a non-printable character), comments above
// the keys they explain and the untranslated lines at the end.
#pragma once

#include <string>
#include <string_view>

#include <slimbuild/init/starter.hpp>

namespace slimbuild::init {

std::string write_manifest(const Starter& starter);

// One YAML scalar: plain when that reads back as the same string, else
// double-quoted with escapes.
std::string yaml_scalar(std::string_view value);

}  // namespace slimbuild::init
