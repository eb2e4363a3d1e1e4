// `slimbuild trace BINARY`: what the loader would load, and from where, as
// a tree for people or a stable JSON document for scripts. Same stage as the
// build uses, so what trace shows is what an image gets.
//
// JSON: {binary, binary_host_path, platform ("linux/amd64"), static,
// interpreter (image path or null), interpreter_host_path,
// interpreter_symlinks, libraries: [{soname (the name asked for), path (image
// path the loader opens), host_path (real file), needed_by, found_via,
// symlinks: [{path, target}], build_id}]}; libraries in load order.
#include "cli/commands.hpp"
#include "cli/run_trace.hpp"

#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include <slimbuild/trace/loader.hpp>
#include <slimbuild/trace/platform.hpp>
#include <slimbuild/util/error.hpp>

namespace slimbuild::cli {

namespace {

struct TraceArgs {
  std::vector<std::string> binary;  // BINARY, or with --run: PROGRAM ARGS... (after --)
  std::string sysroot = "/";
  std::string dest;
  std::vector<std::string> libraries;
  bool json = false;
  RunTraceOptions run;  // trace --run
};

nlohmann::json hops_json(const std::vector<trace::SymlinkHop>& hops) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : hops) out.push_back({{"path", h.image_path}, {"target", h.target}});
  return out;
}

std::string platform_string(const trace::ElfInfo& elf) {
  try {
    auto p = trace::oci_platform(elf);
    return "linux/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant);
  } catch (const Error&) {
    return trace::describe_abi(elf);
  }
}

// Who asked for a library, first the one that loaded it: image paths of
// ELFs, and the word "manifest" for the manifest's libraries: list.
std::vector<std::string> requesters(const trace::TracedObject& lib) {
  std::vector<std::string> by = lib.needed_by;
  if (lib.manifest_request == trace::ManifestRequest::First) by.insert(by.begin(), "manifest");
  if (lib.manifest_request == trace::ManifestRequest::After) by.push_back("manifest");
  return by;
}

nlohmann::json to_json(const trace::TraceResult& r) {
  nlohmann::json libs = nlohmann::json::array();
  for (const auto& lib : r.libraries)
    libs.push_back({{"soname", lib.requested},
                    {"path", lib.image_path},
                    {"host_path", lib.host_path.string()},
                    {"needed_by", requesters(lib)},
                    {"found_via", trace::found_via_name(lib.found_via)},
                    {"symlinks", hops_json(lib.symlinks)},
                    {"build_id", lib.elf.build_id}});
  nlohmann::json doc = {{"binary", r.binary.image_path},
                        {"binary_host_path", r.binary.host_path.string()},
                        {"platform", platform_string(r.binary.elf)},
                        {"interpreter", nullptr},
                        {"libraries", libs},
                        {"static", r.binary.elf.is_static()}};
  if (r.interpreter) {
    doc["interpreter"] = r.interpreter->image_path;
    doc["interpreter_host_path"] = r.interpreter->host_path.string();
    doc["interpreter_symlinks"] = hops_json(r.interpreter->symlinks);
  }
  return doc;
}

std::string chain(const std::vector<trace::SymlinkHop>& hops) {
  std::string s;
  for (const auto& h : hops) s += (s.empty() ? "" : ", ") + h.image_path + " -> " + h.target;
  return s;
}

// Each library is shown under the object that first needed it (its loader),
// like a process tree; later requesters are listed after it.
void print_tree(const trace::TraceResult& r) {
  std::map<std::string, std::vector<const trace::TracedObject*>> children;
  for (const auto& lib : r.libraries) children[requesters(lib).front()].push_back(&lib);

  std::cout << r.binary.image_path;
  if (r.binary.host_path.string() != r.binary.image_path) std::cout << "  (from " << r.binary.host_path.string() << ")";
  std::cout << "  [" << platform_string(r.binary.elf) << "]\n";
  if (r.interpreter) {
    std::cout << "  interpreter " << r.interpreter->image_path << " => " << r.interpreter->host_path.string() << "\n";
    if (!r.interpreter->symlinks.empty()) std::cout << "      symlinks: " << chain(r.interpreter->symlinks) << "\n";
  }
  auto print = [&](auto& self, const std::string& parent, int depth) -> void {
    for (const auto* lib : children[parent]) {
      std::string indent(2 * depth, ' ');
      std::cout << indent << lib->requested << " => " << lib->image_path << "  [" << trace::found_via_name(lib->found_via) << "]\n";
      if (!lib->symlinks.empty()) std::cout << indent << "    symlinks: " << chain(lib->symlinks) << "\n";
      if (auto by = requesters(*lib); by.size() > 1) {
        std::cout << indent << "    also needed by:";
        for (size_t i = 1; i < by.size(); ++i) std::cout << " " << by[i];
        std::cout << "\n";
      }
      self(self, lib->image_path, depth + 1);
    }
  };
  print(print, r.binary.image_path, 1);
  if (!children["manifest"].empty()) {
    std::cout << "  dlopen()ed (libraries:):\n";
    print(print, "manifest", 2);
  }

  if (r.binary.elf.is_static())
    std::cout << "static binary: no interpreter and no shared libraries needed\n";
  else
    std::cout << r.libraries.size() << " shared librar" << (r.libraries.size() == 1 ? "y" : "ies")
              << (r.interpreter ? " + interpreter " + r.interpreter->image_path : std::string(", no interpreter")) << "\n";
}

}  // namespace

Command add_trace_command(CLI::App& root) {
  auto args = std::make_shared<TraceArgs>();
  Command c;
  c.app = root.add_subcommand("trace", "Print the ELF dependency tree and where each library resolves");
  c.app->add_option("binary", args->binary, "The ELF program to trace (with --run: -- PROGRAM ARGS...)")->required();
  c.app->add_option("--sysroot", args->sysroot, "Look libraries up inside this directory (default /)");
  c.app->add_option("-l,--library", args->libraries, "A dlopen()ed library (soname or absolute path), like `libraries:`; repeatable")
      ->allow_extra_args(false);  // one name per -l, so `-l libz.so.1 BINARY` keeps BINARY
  c.app->add_option("--dest", args->dest, "Where the binary will live in the image (its $ORIGIN), like binary.dest");
  c.app->add_flag("--json", args->json, "Print a JSON document instead of the tree");
  add_run_trace_flags(c.app, args->run);
  c.run = [args]() -> int {
    if (args->run.enabled) {
      args->run.json = args->json;
      args->run.argv = args->binary;
      return run_trace(args->run);
    }
    if (args->binary.size() != 1)
      throw Error("trace takes one BINARY", "to run a program, use `slimbuild trace --run -- PROGRAM ARGS...`", kExitUsage);
    trace::TraceOptions options;
    options.sysroot = args->sysroot;
    options.extra_libraries = args->libraries;
    options.binary_image_path = args->dest;
    if (!std::filesystem::is_directory(options.sysroot))
      throw Error("sysroot " + args->sysroot + " is not a directory", "pass --sysroot DIR pointing at a root file system", kExitUsage);
    trace::TraceResult result = trace::trace_binary(args->binary.front(), options);
    if (args->json)
      // Paths are bytes; invalid UTF-8 (a hostile DT_NEEDED) is replaced, not fatal.
      std::cout << to_json(result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else
      print_tree(result);
    return kExitOk;
  };
  return c;
}

}  // namespace slimbuild::cli
