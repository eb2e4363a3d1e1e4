// The one image-path normaliser (see image_path.hpp).
#include <slimbuild/util/image_path.hpp>

#include <algorithm>
#include <vector>

namespace slimbuild::util {

namespace {

// strict: absolute, no NUL, ".." above "/" is an error; else clamped at "/".
std::expected<std::string, ImagePathError> normalize(std::string_view path, bool strict) {
  if (strict && path.find('\0') != std::string_view::npos) return std::unexpected(ImagePathError::ContainsNul);
  if (strict && (path.empty() || path.front() != '/')) return std::unexpected(ImagePathError::NotAbsolute);
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t end = std::min(path.find('/', pos), path.size());
    std::string_view part = path.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty())
        parts.pop_back();
      else if (strict)
        return std::unexpected(ImagePathError::ClimbsOut);
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (auto part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

}  // namespace

std::expected<std::string, ImagePathError> normalize_image_path(std::string_view path) { return normalize(path, true); }

std::string clamp_image_path(std::string_view path) { return *normalize(path, false); }

}  // namespace slimbuild::util
