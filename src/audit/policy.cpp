// Policy files are read with the manifest's YAML reader, so they get the
// same strictness and the same file:line:column errors (and did-you-mean for
// keys and rule names) as a manifest.
#include <slimbuild/audit/policy.hpp>

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <slimbuild/manifest/did_you_mean.hpp>
#include <slimbuild/manifest/yaml_reader.hpp>

namespace slimbuild::audit {

namespace {

using manifest::Diagnostics;
using manifest::YamlNode;

const std::vector<std::string> kPolicyKeys = {"fail", "allow"};

bool check_rule(const std::string& rule, const YamlNode& node, Diagnostics& diag) {
  const auto& rules = rule_names();
  if (std::find(rules.begin(), rules.end(), rule) != rules.end()) return true;
  auto close = manifest::did_you_mean(rule, rules);
  diag.error(node, "unknown audit rule '" + rule + "'",
             close ? "did you mean '" + *close + "'?" : "rules are " + manifest::quoted_list(rules));
  return false;
}

}  // namespace

Policy default_policy() {
  Policy p;
  p.fail = {"shell", "package-manager", "setuid", "setgid", "root-user", "unknown-user", "login-shell", "secret",
            "world-writable"};
  return p;
}

Policy load_policy(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw Error("cannot read policy " + file.string(), "pass a YAML policy file, e.g. --policy audit.yml with fail: [shell, setuid]");
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().size() > manifest::kMaxManifestBytes) throw Error("policy " + file.string() + " is larger than 1 MiB");
  Diagnostics diag(file.string());
  manifest::NodePtr root = manifest::parse_yaml(text.str(), file.string());
  Policy policy;
  policy.name = file.string();
  if (root->kind != YamlNode::Kind::Mapping) {
    diag.error(*root, "a policy is a mapping with fail: (and allow:), not " + manifest::describe(*root),
               "write e.g. fail: [shell, package-manager, setuid]");
    diag.throw_if_any();
  }
  manifest::Fields top(*root, "", kPolicyKeys, diag);
  if (const YamlNode* n = top.get("fail"))
    if (auto rules = manifest::read_string_list(*n, "fail", diag, "rule name"))
      for (const auto& r : *rules)
        if (check_rule(r.value, *r.node, diag)) policy.fail.insert(r.value);
  if (const YamlNode* n = top.get("allow")) {
    if (n->kind != YamlNode::Kind::Mapping) {
      manifest::wrong_type(*n, "allow", "a mapping of rule names to lists of path globs", diag);
    } else {
      for (const auto& [key, value] : n->entries) {
        if (!check_rule(key->value, *key, diag)) continue;
        if (auto globs = manifest::read_string_list(*value, "allow." + key->value, diag, "path glob"))
          for (const auto& g : *globs) policy.allow[key->value].push_back(g.value);
      }
    }
  }
  diag.throw_if_any();
  return policy;
}

std::vector<RuleResult> evaluate(const Policy& policy, const AuditReport& report) {
  std::vector<RuleResult> out;
  for (const auto& rule : rule_names()) {
    if (!policy.fail.count(rule)) continue;
    RuleResult r{rule, {}};
    auto allowed = policy.allow.find(rule);
    for (const auto& f : report.findings) {
      if (f.rule != rule) continue;
      bool ok = allowed != policy.allow.end() &&
                std::any_of(allowed->second.begin(), allowed->second.end(),
                            [&](const std::string& glob) { return !f.path.empty() && ::fnmatch(glob.c_str(), f.path.c_str(), 0) == 0; });
      if (!ok) r.failing.push_back(&f);
    }
    if (!r.failing.empty()) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace slimbuild::audit
