// Which audit findings fail an image. A policy file is YAML:
//
//   fail: [shell, package-manager, setuid, setgid, root-user]   # rules that fail
//   allow:                                                      # findings accepted anyway
//     setuid: [/usr/bin/passwd]                                 # by path (fnmatch glob)
//
// Rule names are audit::rule_names(); a misspelt rule or key is an error at
// file:line:column with "did you mean". The default policy fails what no
// slimbuild image can hold (shell, package manager, setuid/setgid files,
// root or unknown user, login shells, secrets, world-writable paths) and
// only reports the rest (interpreters, file capabilities, unaccounted files).
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <slimbuild/audit/audit.hpp>

namespace slimbuild::audit {

struct Policy {
  std::string name = "default";                          // the file, or "default"
  std::set<std::string> fail;                            // rule names
  std::map<std::string, std::vector<std::string>> allow; // rule -> path globs
};

Policy default_policy();
// Throws manifest::ManifestError (file:line:column) for a bad policy file.
Policy load_policy(const std::filesystem::path& file);

struct RuleResult {
  std::string rule;
  std::vector<const Finding*> failing;  // findings of this rule the policy does not allow
};

// The rules of `policy.fail` with at least one finding it does not allow,
// in rule order. Empty: the policy holds.
std::vector<RuleResult> evaluate(const Policy& policy, const AuditReport& report);

}  // namespace slimbuild::audit
