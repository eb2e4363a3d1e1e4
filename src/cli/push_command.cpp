// `slimbuild push LAYOUT[:TAG] REF`: publish an OCI layout to a registry.
// Human feedback goes to stderr; stdout carries only the result — the
// manifest digest as the last line, or the --json summary.
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include <slimbuild/image/layout_arg.hpp>
#include <slimbuild/registry/push.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/redact.hpp>

namespace slimbuild::cli {

namespace {

struct PushArgs {
  std::string layout;
  std::string reference;
  bool json = false;
  uint64_t chunk_size = 0;
  std::string platform;
  RegistryFlags registry;
};

int run_push(const PushArgs& a) {
  registry::RegistryOptions options = to_registry_options(a.registry);
  options.chunk_size = a.chunk_size;
  if (!a.platform.empty()) options.platform = a.platform;
  auto [dir, tag] = image::split_layout_arg(a.layout);  // DIR:TAG picks an image in the layout
  registry::PushResult r = registry::push_layout(dir, tag, a.reference, options);
  if (a.json) {
    nlohmann::json blobs = nlohmann::json::array();
    for (const auto& b : r.blobs) blobs.push_back({{"digest", b.digest}, {"size", b.size}, {"action", b.action}});
    nlohmann::json out{{"reference", r.reference}, {"digest", r.manifest_digest}, {"blobs", blobs}, {"referrers", r.referrers}};
    std::cout << util::redact(out.dump(2)) << "\n";
  } else {
    std::cout << r.reference << "\n" << r.manifest_digest << "\n";
  }
  return kExitOk;
}

}  // namespace

Command add_push_command(CLI::App& root) {
  auto args = std::make_shared<PushArgs>();
  Command c;
  c.app = root.add_subcommand("push", "Push an OCI image layout to a registry");
  c.app->add_option("LAYOUT", args->layout, "OCI layout directory, or DIR:TAG to pick one image")->required();
  c.app->add_option("REF", args->reference, "Destination, e.g. registry.example.com/team/app:1.0")->required();
  c.app->add_flag("--json", args->json, "Print a JSON summary (reference, digest, blobs and actions) on stdout");
  c.app->add_option("--chunk-size", args->chunk_size, "Bytes per PATCH for blobs larger than 8 MiB (default 64 MiB)")
      ->check(CLI::Range(uint64_t{64 * 1024}, uint64_t{1} << 32));
  c.app->add_option("--platform", args->platform,
                    "Of an image index, push only this platform's image (e.g. linux/arm64) under REF");
  add_registry_flags(c.app, args->registry);
  c.run = [args]() -> int { return run_push(*args); };
  return c;
}

}  // namespace slimbuild::cli
