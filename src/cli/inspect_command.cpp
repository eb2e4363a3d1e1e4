// `slimbuild inspect IMAGE [--json]`: what an image holds and how it runs.
// IMAGE is a layout (DIR or DIR:TAG), an oci-/docker-archive file, or a
// registry reference (pulled into a temporary layout). The report is the
// result, so it goes to stdout, ending with the manifest digest line.
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"

#include <iostream>
#include <memory>

#include <slimbuild/inspect/image_source.hpp>
#include <slimbuild/inspect/inspect.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/redact.hpp>

namespace slimbuild::cli {

namespace {
struct InspectFlags {
  std::string image;
  bool json = false;
  bool no_trace = false;
  RegistryFlags registry;
};
}  // namespace

Command add_inspect_command(CLI::App& root) {
  auto flags = std::make_shared<InspectFlags>();
  Command c;
  c.app = root.add_subcommand("inspect", "Show an image's files, sizes, user, entrypoint, digests and library origins");
  c.app->add_option("image", flags->image, "OCI layout DIR[:TAG], oci-archive/docker-archive file, or registry REF")
      ->required();
  c.app->add_flag("--json", flags->json, "Print one JSON document instead of text");
  c.app->add_flag("--no-trace", flags->no_trace, "Do not unpack the image to find which ELF needs each library");
  add_registry_flags(c.app, flags->registry);
  c.run = [flags]() -> int {
    auto image = inspect::open_image(flags->image, to_registry_options(flags->registry));
    inspect::InspectOptions options;
    options.trace_libraries = !flags->no_trace;
    auto report = inspect::inspect_image(image, options);
    if (flags->json)
      std::cout << util::redact(report.dump(2)) << "\n";  // a hostile registry may serve our secrets back
    else
      std::cout << util::redact(inspect::inspect_text(report));
    return kExitOk;
  };
  return c;
}

}  // namespace slimbuild::cli
