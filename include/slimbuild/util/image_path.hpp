// Paths inside an image ("/usr/lib/x"), normalised by one rule for every
// stage: components split on '/', empty and "." components dropped, ".."
// resolved against what precedes it. The two forms differ only at the edges:
// paths a user or a stage names must be absolute and may not climb above "/";
// paths read from someone else's tar or a sysroot are taken as a chroot sees
// them: relative to "/", with ".." stopping at "/".
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace slimbuild::util {

enum class ImagePathError { NotAbsolute, ClimbsOut, ContainsNul };

// "/a//b/./c/../d/" -> "/a/b/d"; "/" stays "/". Errors: no leading '/'
// (also for ""), ".." above "/", a NUL byte.
std::expected<std::string, ImagePathError> normalize_image_path(std::string_view path);

// "./usr//lib/../bin" -> "/usr/bin", "../../etc" -> "/etc". Never fails.
std::string clamp_image_path(std::string_view path);

}  // namespace slimbuild::util
