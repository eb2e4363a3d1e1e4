// Rendering an AuditReport. Text lists at most a screenful per rule (the
// JSON has everything): a Debian base image has thousands of files, and a
// wall of "unaccounted-file" lines would hide the one setuid binary.
#include <slimbuild/audit/report.hpp>

#include <map>

namespace slimbuild::audit {

namespace {

constexpr std::size_t kTextPerRule = 20;

}  // namespace

nlohmann::json report_json(const AuditReport& report, const Policy& policy, const std::vector<RuleResult>& failed) {
  nlohmann::json findings = nlohmann::json::array(), packages = nlohmann::json::array(), rules = nlohmann::json::array();
  for (const auto& f : report.findings) {
    nlohmann::json j = {{"rule", f.rule}, {"path", f.path}, {"detail", f.detail}};
    if (!f.also.empty()) j["also"] = f.also;
    findings.push_back(std::move(j));
  }
  for (const auto& p : report.packages)
    packages.push_back({{"name", p.name}, {"version", p.version}, {"architecture", p.architecture}, {"source", p.source}});
  for (const auto& r : failed) {
    nlohmann::json items = nlohmann::json::array();
    for (const Finding* f : r.failing) items.push_back({{"path", f->path}, {"detail", f->detail}});
    rules.push_back({{"rule", r.rule}, {"count", r.failing.size()}, {"findings", items}});
  }
  nlohmann::json out = {{"image", report.image},
                        {"digest", report.digest},
                        {"user", report.user},
                        {"files", report.files},
                        {"findings", findings},
                        {"packages", packages},
                        {"policy",
                         {{"name", policy.name}, {"fail", policy.fail}, {"passed", failed.empty()}, {"failed_rules", rules}}}};
  if (!report.platform.empty()) out["platform"] = report.platform;
  return out;
}

std::string report_text(const AuditReport& report, const Policy& policy, const std::vector<RuleResult>& failed) {
  std::string out = "image    " + report.image + "\n";
  if (!report.platform.empty()) out += "platform " + report.platform + "\n";
  out += "digest   " + report.digest + "\n";
  out += "user     " + (report.user.empty() ? std::string("(none: root)") : report.user) + "\n";
  out += "files    " + std::to_string(report.files) + "\n";
  out += "packages " + std::to_string(report.packages.size()) + "\n";

  std::map<std::string, std::vector<const Finding*>> by_rule;
  for (const auto& f : report.findings) by_rule[f.rule].push_back(&f);
  for (const auto& [rule, list] : by_rule) {
    out += "\n" + rule + " (" + std::to_string(list.size()) + (policy.fail.count(rule) ? ", fails the policy" : "") + ")\n";
    for (std::size_t i = 0; i < list.size() && i < kTextPerRule; ++i)
    {
      const Finding& f = *list[i];
      std::string also;
      for (const auto& a : f.also) also += (also.empty() ? " (also " : ", ") + a;
      out += "  " + (f.path.empty() ? std::string("-") : f.path) + (also.empty() ? "" : also + ")") + "  " + f.detail + "\n";
    }
    if (list.size() > kTextPerRule) out += "  ... and " + std::to_string(list.size() - kTextPerRule) + " more (--json lists all)\n";
  }
  if (!report.packages.empty()) {
    out += "\npackages (" + std::to_string(report.packages.size()) + ")\n";
    for (const auto& p : report.packages)
      out += "  " + p.name + (p.architecture.empty() ? "" : ":" + p.architecture) + " " + p.version + "  (" + p.source + ")\n";
  }
  out += "\npolicy " + policy.name + ": ";
  if (failed.empty()) return out + "passed\n";
  out += "FAILED\n";
  for (const auto& r : failed) out += "  rule " + r.rule + " failed: " + std::to_string(r.failing.size()) + " finding(s)\n";
  return out;
}

}  // namespace slimbuild::audit
