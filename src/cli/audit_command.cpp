// `slimbuild audit IMAGE [--policy FILE] [--json]`: the security posture of
// any image. The report goes to stdout (text, or one JSON document); the
// verdict is the exit code: 0 when the policy (default: what no slimbuild
// image holds) passes, 4 when it fails, with each failing rule named on
// stderr so a CI log says why without the report. An image index is
// audited per platform: one report each, and the policy must pass for all.
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"

#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include <slimbuild/audit/policy.hpp>
#include <slimbuild/audit/read_image.hpp>
#include <slimbuild/audit/report.hpp>
#include <slimbuild/image/layout.hpp>
#include <slimbuild/inspect/image_source.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::cli {

namespace {
struct AuditFlags {
  std::string image;
  std::string policy;
  bool json = false;
  RegistryFlags registry;
};
}  // namespace

Command add_audit_command(CLI::App& root) {
  auto flags = std::make_shared<AuditFlags>();
  Command c;
  c.app = root.add_subcommand("audit", "Report an image's security posture; exit 4 when the policy fails");
  c.app->add_option("image", flags->image, "OCI layout DIR[:TAG], oci-archive/docker-archive file, or registry REF")
      ->required();
  c.app->add_option("--policy", flags->policy, "YAML policy: which findings fail (default: what no slimbuild image holds)");
  c.app->add_flag("--json", flags->json, "Print one JSON document instead of text");
  add_registry_flags(c.app, flags->registry);
  c.run = [flags]() -> int {
    // The policy first: a typo in it should not cost a pull.
    audit::Policy policy = flags->policy.empty() ? audit::default_policy() : audit::load_policy(flags->policy);
    auto image = inspect::open_image(flags->image, to_registry_options(flags->registry));
    // An image index is audited per platform; the policy must pass for each.
    std::vector<audit::AuditImage> images = audit::read_audit_images(image);
    const bool index = images.size() > 1 || !images.front().platform.empty();
    nlohmann::json docs = nlohmann::json::array();
    std::string text, failures;
    for (const auto& img : images) {
      audit::AuditReport report = audit::run_audit(img);
      auto failed = audit::evaluate(policy, report);
      if (flags->json)
        docs.push_back(audit::report_json(report, policy, failed));
      else
        text += (text.empty() ? "" : "\n") + audit::report_text(report, policy, failed);
      if (failed.empty()) continue;
      std::string rules;
      for (const auto& r : failed)
        rules += (rules.empty() ? "" : ", ") + r.rule + " (" + std::to_string(r.failing.size()) + ")";
      failures += "slimbuild: audit: policy " + policy.name + " failed" +
                  (report.platform.empty() ? "" : " for " + report.platform) + ": " + rules + "\n";
    }
    std::string digest = image::LayoutReader(image.layout)
                             .find_entry(image.ref.empty() ? std::nullopt : std::optional<std::string>(image.ref))
                             .digest;
    if (flags->json)
      std::cout << (index ? nlohmann::json{{"image", flags->image},
                                           {"digest", digest},
                                           {"platforms", docs},
                                           {"policy", {{"name", policy.name}, {"passed", failures.empty()}}}}
                          : docs.front())
                             .dump(2)
                << "\n";
    else
      std::cout << text << digest << "\n";
    std::cerr << failures;
    return failures.empty() ? kExitOk : kExitPolicy;
  };
  return c;
}

}  // namespace slimbuild::cli
