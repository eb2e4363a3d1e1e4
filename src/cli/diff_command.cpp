// `slimbuild diff A B [--json]`: compare two images (layouts, archives or
// registry references) down to the file. Exit 0 when identical (the digest is
// the last stdout line), 3 when they differ (the differences are the result,
// on stdout), 1 when either side cannot be read.
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"

#include <iostream>
#include <memory>

#include <slimbuild/inspect/diff.hpp>
#include <slimbuild/inspect/image_source.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::cli {

namespace {
struct DiffFlags {
  std::string a, b;
  bool json = false;
  RegistryFlags registry;
};
}  // namespace

Command add_diff_command(CLI::App& root) {
  auto flags = std::make_shared<DiffFlags>();
  Command c;
  c.app = root.add_subcommand("diff", "Explain how two images differ: files, modes, owners, links, config, annotations");
  c.app->add_option("a", flags->a, "First image: OCI layout DIR[:TAG], archive file, or registry REF")->required();
  c.app->add_option("b", flags->b, "Second image, same forms")->required();
  c.app->add_flag("--json", flags->json, "Print one JSON document instead of text");
  add_registry_flags(c.app, flags->registry);
  c.run = [flags]() -> int {
    auto options = to_registry_options(flags->registry);
    auto a = inspect::open_image(flags->a, options);
    auto b = inspect::open_image(flags->b, options);
    // A docker-archive carries no OCI manifest: judge it by config and layers.
    inspect::CompareOptions compare;
    compare.content_only = a.kind == inspect::SourceKind::DockerArchive || b.kind == inspect::SourceKind::DockerArchive;
    auto result = inspect::compare_layouts(a.layout, a.ref, b.layout, b.ref, compare);
    if (flags->json) {
      std::cout << result.to_json().dump(2) << "\n";
    } else if (result.identical) {
      util::info("images are identical" + std::string(compare.content_only ? " (config and layers; docker-archive keeps no manifest)" : ""));
      std::cout << result.digest_a << "\n";
    } else {
      std::cout << result.to_text();
    }
    return result.identical ? kExitOk : kExitMismatch;
  };
  return c;
}

}  // namespace slimbuild::cli
