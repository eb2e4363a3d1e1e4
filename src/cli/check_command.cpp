// `slimbuild check IMAGE [-- ARGS...]`: unpack the image, run its entrypoint
// inside it (namespaces + chroot, as the image's user, the image's Env and
// WorkingDir, no network unless --network) under the tracer, and report
// every path the program looked for and did not find that exists on the
// build host (or --sysroot), as manifest lines. The test to run before
// pushing.
//
// Exit codes: 0 the program exited 0 and nothing was missing; 3 something
// was missing; 1 the program failed (or timed out) with nothing missing.
// JSON: {image, program: {argv, exit_code, signal, timed_out, syscall_stops},
// user, missing: [path], libraries, files}.
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"
#include "cli/run_trace.hpp"

#include <sys/stat.h>

#include <iostream>

#include <slimbuild/inspect/image_source.hpp>
#include <slimbuild/runtrace/manifest_lines.hpp>
#include <slimbuild/runtrace/tracer.hpp>
#include <slimbuild/runtrace/unpack.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::cli {

namespace {

namespace fs = std::filesystem;

struct CheckArgs {
  std::string image;
  std::vector<std::string> args;
  bool network = false;
  std::string sysroot = "/";
  double timeout_seconds = 0;
  bool json = false;
  RegistryFlags registry;
};

int run_check(const CheckArgs& a) {
  if (::geteuid() != 0)
    throw Error("check runs the image in its own mount and pid namespaces with chroot, which needs root",
                "run it as root (sudo slimbuild check ...)");
  auto opened = inspect::open_image(a.image, to_registry_options(a.registry));
  image::LayoutReader layout(opened.layout);
  image::Descriptor manifest = layout.find_image(opened.ref.empty() ? std::nullopt : std::optional<std::string>(opened.ref));
  runtrace::ImageRunConfig config = runtrace::read_run_config(layout, manifest);

  util::TempDir temp("slimbuild-check");
  fs::path root = temp.path() / "rootfs";
  fs::create_directory(root);
  ::chmod(root.c_str(), 0755);
  runtrace::unpack_image(layout, manifest, root);
  for (const char* mountpoint : {"dev", "proc"}) fs::create_directories(root / mountpoint);

  std::vector<std::string> argv = config.entrypoint;
  const auto& rest = a.args.empty() ? config.cmd : a.args;
  argv.insert(argv.end(), rest.begin(), rest.end());
  if (argv.empty()) throw Error("the image has neither Entrypoint nor Cmd", "give the program to run after --");
  auto [uid, gid] = runtrace::resolve_user(config.user, root);

  runtrace::RunSpec spec;
  spec.argv = argv;
  spec.env = config.env;
  spec.sandbox = runtrace::Sandbox{root, uid, gid, config.workdir.empty() ? "/" : config.workdir, a.network};
  spec.timeout = timeout_ms(a.timeout_seconds);
  spec.stdout_to_stderr = a.json;
  runtrace::PtraceTracer tracer;
  runtrace::RunRecord run = tracer.run(spec);
  if (!run.start_error.empty()) util::warn("in the image: " + run.start_error);

  runtrace::RealHostView host(a.sysroot);
  std::vector<std::string> missing = runtrace::missing(run, host);
  runtrace::Proposal lines = runtrace::propose_missing(missing, host);
  std::string end = argv.front() + " " + runtrace::describe_end(run) + " in the image as " + std::to_string(uid) + ":" +
                    std::to_string(gid);

  if (a.json) {
    nlohmann::json doc = proposal_json(lines);
    doc["image"] = a.image;
    doc["program"] = run_json(run, argv);
    doc["user"] = std::to_string(uid) + ":" + std::to_string(gid);
    doc["missing"] = missing;
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (!missing.empty()) {
    std::cout << "# " << argv.front() << " looked for these and did not find them in the image"
              << " (they exist on " << (a.sysroot == "/" ? std::string("this machine") : a.sysroot) << "):\n";
    for (const auto& p : missing) std::cout << "#   " << p << "\n";
    std::cout << "# as manifest lines (or let `slimbuild trace --run --manifest M --write -- ...` pick exactly what is used):\n"
              << runtrace::render_lines(lines);
  }
  util::info(end + (missing.empty() ? ", nothing missing" : ", " + std::to_string(missing.size()) + " paths missing"));
  if (!missing.empty()) return kExitMismatch;
  return run.exit_code == 0 && !run.timed_out && run.term_signal == 0 ? kExitOk : kExitFailure;
}

}  // namespace

Command add_check_command(CLI::App& root) {
  auto args = std::make_shared<CheckArgs>();
  Command c;
  c.app = root.add_subcommand("check", "Run the image's entrypoint inside it and report what it looked for and lacked");
  c.app->add_option("image", args->image, "OCI layout (DIR[:TAG]), archive, or registry reference")->required();
  c.app->add_option("args", args->args, "Arguments after -- replace the image's Cmd");
  c.app->add_flag("--network", args->network, "Let the program use the host's network (default: none)");
  c.app->add_option("--sysroot", args->sysroot, "Where missing paths are looked up (default /)");
  c.app->add_option("--timeout", args->timeout_seconds, "Kill the program (and its children) after this many seconds");
  c.app->add_flag("--json", args->json, "Print a JSON document (the program's stdout goes to stderr)");
  add_registry_flags(c.app, args->registry);
  c.run = [args]() { return run_check(*args); };
  return c;
}

}  // namespace slimbuild::cli
