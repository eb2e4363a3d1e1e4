// run_audit: every check over the AuditImage, findings sorted so the report
// (and its JSON) is the same on every run. Secrets were found while the
// layers streamed (read_image.cpp) and only become findings here.
#include <slimbuild/audit/audit.hpp>

#include <algorithm>
#include <tuple>

#include "audit/checks.hpp"

namespace slimbuild::audit {

const std::vector<std::string>& rule_names() {
  static const std::vector<std::string> names = {
      "file-capability", "interpreter", "login-shell", "package-manager", "root-user", "secret",
      "setgid",          "setuid",      "shell",       "unaccounted-file", "unknown-user", "world-writable"};
  return names;
}

AuditReport run_audit(const AuditImage& image) {
  AuditReport report;
  report.image = image.name;
  report.platform = image.platform;
  report.digest = image.digest;
  report.user = image.config.is_object() ? image.config.value("User", "") : "";
  for (const auto& [path, f] : image.files)
    if (f.type == inspect::FileType::File) ++report.files;

  check_executables(image, report.findings);
  check_permissions(image, report.findings);
  check_users(image, report.findings);
  for (const auto& s : image.secrets) report.findings.push_back({"secret", s.path, s.reason});
  check_accounted(image, report.findings);
  std::sort(report.findings.begin(), report.findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.rule, a.path, a.detail) < std::tie(b.rule, b.path, b.detail);
  });
  report.packages = identify_packages(image);
  return report;
}

}  // namespace slimbuild::audit
