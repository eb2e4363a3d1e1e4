// Runtime keys of the manifest; see runtime_keys.hpp.
#include "manifest/runtime_keys.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include <slimbuild/util/capabilities.hpp>

#include <slimbuild/manifest/did_you_mean.hpp>
#include "manifest/validate.hpp"

namespace slimbuild::manifest {

namespace {

// The names docker's signal table knows on Linux (moby/sys/signal), without
// "SIG"; RTMIN+n and RTMAX-n are handled apart.
constexpr std::array<std::string_view, 34> kSignals = {
    "ABRT", "ALRM", "BUS",  "CHLD", "CLD",    "CONT", "FPE",  "HUP",  "ILL",    "INT",   "IO",   "IOT",
    "KILL", "PIPE", "POLL", "PROF", "PWR",    "QUIT", "SEGV", "STKFLT", "STOP", "SYS",   "TERM", "TRAP",
    "TSTP", "TTIN", "TTOU", "URG",  "USR1",   "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ"};

bool known_signal(std::string_view name) {
  if (std::find(kSignals.begin(), kSignals.end(), name) != kSignals.end() || name == "RTMIN" || name == "RTMAX")
    return true;
  for (std::string_view base : {"RTMIN+", "RTMAX-"}) {
    if (!name.starts_with(base)) continue;
    std::string_view digits = name.substr(base.size());
    int n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    return ec == std::errc() && end == digits.data() + digits.size() && n >= 1 && n <= 15;
  }
  return false;
}

}  // namespace

std::optional<std::string> read_stop_signal(const YamlNode& node, Diagnostics& diag) {
  auto text = read_string(node, "stop_signal", diag);
  if (!text) return std::nullopt;
  if (auto number = as_integer(node)) {
    if (*number >= 1 && *number <= 64) return std::to_string(*number);
    diag.error(node, "stop_signal " + *text + " is not a signal number (1 to 64)", "write a name such as SIGINT");
    return std::nullopt;
  }
  std::string upper;
  for (char c : *text) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  std::string bare = upper.starts_with("SIG") ? upper.substr(3) : upper;
  if (known_signal(bare)) return "SIG" + bare;
  std::vector<std::string> names;
  for (auto s : kSignals) names.push_back("SIG" + std::string(s));
  std::string hint = "use a signal name such as SIGTERM, SIGINT, SIGQUIT or SIGUSR1";
  if (auto close = did_you_mean("SIG" + bare, names)) hint = "did you mean " + *close + "?";
  diag.error(node, "stop_signal '" + *text + "' is not a signal name", hint);
  return std::nullopt;
}

std::vector<std::string> read_image_dirs(const YamlNode& node, std::string_view what, Diagnostics& diag) {
  std::vector<std::string> out;
  auto items = read_string_list(node, what, diag, "absolute directory");
  for (std::size_t i = 0; items && i < items->size(); ++i) {
    const auto& [value, item] = (*items)[i];
    std::string where = std::string(what) + "[" + std::to_string(i) + "]";
    auto path = normalise_image_path(value);
    if (!path) {
      diag.error(*item, where + " " + path.error().message, path.error().hint);
      continue;
    }
    if (auto problem = check_not_runtime_mount(*path)) {
      diag.error(*item, where + " " + problem->message, problem->hint);
      continue;
    }
    if (what == "writable" && (*path == "/" || *path == "/tmp")) {
      diag.error(*item, where + " is " + *path + (*path == "/" ? ", the whole image" : ", which is writable by everyone already"),
                 "name the directory the program writes, e.g. /var/lib/app");
      continue;
    }
    if (std::find(out.begin(), out.end(), *path) == out.end()) out.push_back(*path);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, std::string> read_annotations(const YamlNode& node, Diagnostics& diag) {
  return read_named_strings(node, "annotations", " \t\n\r",
                            "annotations keys must be non-empty and without spaces, like org.example.owner", diag);
}

std::vector<std::string> read_capabilities(const YamlNode& node, Diagnostics& diag) {
  std::vector<int> bits;
  auto items = read_string_list(node, "capabilities", diag, "capability name");
  for (std::size_t i = 0; items && i < items->size(); ++i) {
    const auto& [value, item] = (*items)[i];
    auto bit = util::capability_number(value);
    if (!bit) {
      std::string lower;
      for (char c : value) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      if (lower.starts_with("cap_")) lower.erase(0, 4);
      auto close = did_you_mean(lower, util::capability_names());
      diag.error(*item, "capabilities[" + std::to_string(i) + "] '" + value + "' is not a Linux capability",
                 close ? "did you mean " + *close + "?" : "names as in capabilities(7), e.g. net_bind_service");
      continue;
    }
    if (std::find(bits.begin(), bits.end(), *bit) == bits.end()) bits.push_back(*bit);
  }
  std::sort(bits.begin(), bits.end());
  std::vector<std::string> out;
  for (int b : bits) out.push_back(util::capability_name(b));
  return out;
}

std::optional<bool> read_flag(const YamlNode& node, std::string_view what, Diagnostics& diag) {
  if (auto flag = as_bool(node)) return flag;
  wrong_type(node, what, "true or false", diag);
  return std::nullopt;
}

}  // namespace slimbuild::manifest
