// The audit report for people (text, failing rules first) and for CI (one
// JSON document: image, digest, user, findings, packages, and the policy's
// verdict with each failing rule and its findings).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <slimbuild/audit/audit.hpp>
#include <slimbuild/audit/policy.hpp>

namespace slimbuild::audit {

nlohmann::json report_json(const AuditReport& report, const Policy& policy, const std::vector<RuleResult>& failed);
std::string report_text(const AuditReport& report, const Policy& policy, const std::vector<RuleResult>& failed);

}  // namespace slimbuild::audit
