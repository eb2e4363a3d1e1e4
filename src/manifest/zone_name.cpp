// The zone-name rule and the TZif check (see zone_name.hpp).
#include <slimbuild/manifest/zone_name.hpp>

#include <cctype>
#include <fstream>

namespace slimbuild::manifest {

std::optional<std::string> zone_name_problem(std::string_view zone) {
  if (zone.empty()) return "empty";
  if (zone.size() > 128) return "too long";
  if (zone.front() == '/' || zone.back() == '/') return "starts or ends with '/'";
  for (char c : zone)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '+' && c != '-' && c != '/')
      return "only letters, digits, '_', '+', '-' and '/' are allowed";
  if (zone.find("//") != std::string_view::npos) return "empty component";
  return std::nullopt;
}

bool is_tzif_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return false;
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  in.read(magic, sizeof magic);
  return in && is_tzif_head(std::string_view(magic, 4));
}

bool is_tzif_head(std::string_view head) { return head.substr(0, 4) == "TZif"; }

}  // namespace slimbuild::manifest
