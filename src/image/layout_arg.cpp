// DIR:TAG splitting (see layout_arg.hpp).
#include <slimbuild/image/layout_arg.hpp>

namespace slimbuild::image {

LayoutArg split_layout_arg(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::is_directory(arg, ec)) return {arg, std::nullopt};
  auto colon = arg.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == arg.size()) return {arg, std::nullopt};
  std::string dir = arg.substr(0, colon);
  std::string tag = arg.substr(colon + 1);
  if (tag.find('/') != std::string::npos || !std::filesystem::is_directory(dir, ec)) return {arg, std::nullopt};
  return {dir, tag};
}

}  // namespace slimbuild::image
