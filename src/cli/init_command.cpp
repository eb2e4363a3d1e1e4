// `slimbuild init BINARY | --from-dockerfile FILE`: a starter manifest,
// either from what a binary links and names (init/from_binary) or from a
// hand-written Dockerfile (init/dockerfile + init/translate). The text comes
// from init/manifest_writer and is written atomically; an existing file is
// only replaced with --force. Every line that could not be translated is
// named on stderr as well as at the end of the manifest. On success stdout's
// last line is the manifest's path ("-o -" prints the manifest instead).
#include "cli/commands.hpp"

#include <iostream>

#include <slimbuild/init/dockerfile.hpp>
#include <slimbuild/init/from_binary.hpp>
#include <slimbuild/init/manifest_writer.hpp>
#include <slimbuild/init/translate.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/text.hpp>

namespace slimbuild::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxDockerfileBytes = 4u << 20;

struct InitArgs {
  std::string binary;
  std::string dockerfile;
  std::string output;
  std::string name;
  bool force = false;
};

std::string show(const fs::path& p) { return util::printable(p.string()); }

std::string read_dockerfile(const fs::path& file) {
  std::error_code ec;
  auto st = fs::status(file, ec);
  if (ec || !fs::exists(st))
    throw Error("Dockerfile " + show(file) + " does not exist", "pass the path of a Dockerfile to --from-dockerfile");
  if (!fs::is_regular_file(st)) throw Error("Dockerfile " + show(file) + " is not a regular file", "pass the path of a Dockerfile");
  if (fs::file_size(file, ec) > kMaxDockerfileBytes)
    throw Error("Dockerfile " + show(file) + " is larger than 4 MiB; that is not a hand-written Dockerfile",
                "pass the Dockerfile itself");
  return util::read_file(file);
}

void check_name(const std::string& name) {
  if (name.empty()) return;
  if (init::manifest_name(name) != name || name.size() > 63)
    throw Error("--name " + util::printable(name) + " is not a manifest name",
                "use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit", kExitUsage);
}

}  // namespace

Command add_init_command(CLI::App& root) {
  auto args = std::make_shared<InitArgs>();
  Command c;
  c.app = root.add_subcommand("init", "Write a starter manifest from a binary or a Dockerfile");
  c.app->add_option("binary", args->binary, "The program the image runs (its trace decides the starter)");
  c.app->add_option("--from-dockerfile", args->dockerfile, "Translate this Dockerfile instead");
  c.app->add_option("-o,--output", args->output,
                    "Where to write the manifest (default: slimbuild.yml here, or beside the Dockerfile; - = stdout)");
  c.app->add_option("--name", args->name, "The image name (default: from the binary's file name)");
  c.app->add_flag("--force", args->force, "Replace an existing manifest");
  c.run = [args]() -> int {
    if (args->binary.empty() == args->dockerfile.empty())
      throw Error(args->binary.empty() ? "init needs a BINARY or --from-dockerfile FILE"
                                       : "init takes a BINARY or --from-dockerfile FILE, not both",
                  "e.g. slimbuild init build/server, or slimbuild init --from-dockerfile Dockerfile", kExitUsage);
    check_name(args->name);
    bool to_stdout = args->output == "-";
    fs::path dockerfile = args->dockerfile.empty() ? fs::path() : fs::absolute(args->dockerfile).lexically_normal();
    fs::path target;
    if (!to_stdout) {
      if (!args->output.empty()) target = fs::absolute(args->output).lexically_normal();
      else if (!dockerfile.empty()) target = dockerfile.parent_path() / "slimbuild.yml";
      else target = fs::absolute("slimbuild.yml");
      std::error_code ec;
      if (fs::is_directory(target, ec))
        throw Error(show(target) + " is a directory", "pass -o FILE.yml for the manifest", kExitUsage);
      if (fs::exists(fs::symlink_status(target, ec)) && !args->force)
        throw Error(show(target) + " already exists; not replacing it",
                    "pass --force to replace it, or -o OTHER.yml to write elsewhere");
    }
    fs::path manifest_dir = to_stdout ? fs::current_path() : target.parent_path();

    init::Starter starter;
    if (!dockerfile.empty()) {
      init::Dockerfile parsed = init::parse_dockerfile(read_dockerfile(dockerfile));
      init::TranslateOptions opt;
      opt.context_dir = dockerfile.parent_path();
      opt.manifest_dir = manifest_dir;
      opt.name = args->name;
      fs::path label = dockerfile.lexically_relative(manifest_dir);
      opt.dockerfile_label = label.empty() || *label.begin() == ".." ? dockerfile.string() : label.string();
      starter = init::translate(parsed, opt);
    } else {
      fs::path binary = fs::absolute(args->binary).lexically_normal();
      std::error_code ec;
      if (!fs::is_regular_file(binary, ec))
        throw Error("binary " + show(binary) + (fs::exists(binary, ec) ? " is not a regular file" : " does not exist"),
                    "pass the path of the program the image runs");
      init::FromBinaryOptions opt{binary, manifest_dir, args->name};
      starter = init::starter_from_facts(init::read_binary_facts(binary), opt);
    }
    std::string text = init::write_manifest(starter);

    for (const auto& r : starter.remarks) util::info("note: " + r);
    for (const auto& n : starter.untranslated)
      util::warn("not translated: line " + std::to_string(n.line) + ": " + n.text + ": " + n.why);
    // The loader's opinion now, so a problem shows before the first build;
    // a binary that a build stage still has to make is expected to be missing.
    try {
      manifest::parse_manifest(text, to_stdout ? manifest_dir / "slimbuild.yml" : target);
    } catch (const Error& e) {
      util::warn(std::string("the manifest does not load yet: ") + e.what());
    }
    if (to_stdout) {
      std::cout << text << std::flush;
      return kExitOk;
    }
    util::AtomicFile out(target);
    out.write(text);
    out.commit(0644);
    util::info("wrote " + show(target) + (starter.untranslated.empty() ? "" : " (see the lines not translated above)"));
    std::cout << target.string() << "\n";
    return kExitOk;
  };
  return c;
}

}  // namespace slimbuild::cli
