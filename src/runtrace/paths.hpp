// Path text as the tracer sees it: lexical normalisation of what a program
// passed to the kernel (".", "..", "//" removed; ".." never climbs above
// "/"), and the mapping from a path the tracer read outside a chroot
// (/proc/PID/cwd of a sandboxed program) back to the program's own view.
#pragma once

#include <string>
#include <string_view>

namespace slimbuild::runtrace {

// "/usr/lib/../lib//x" -> "/usr/lib/x"; "" stays "".
std::string normalize_path(std::string_view path);

// strip_root("/tmp/r", "/tmp/r/app") == "/app"; strip_root("", p) == p;
// a path outside the root is returned unchanged.
std::string strip_root(const std::string& root, const std::string& path);

// True when `path` is `dir` or lies below it ("/usr/lib" is under "/usr").
bool is_under(std::string_view path, std::string_view dir);

}  // namespace slimbuild::runtrace
