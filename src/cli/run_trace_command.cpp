// `slimbuild trace --run [--manifest M] [--write] -- PROGRAM ARGS...`: run
// the program on this machine under the tracer and print what its image
// needs beyond what the manifest (or, without one, the program's own ELF
// closure) already holds. --write adds those lines to the manifest.
//
// JSON: {program: {argv, exit_code, signal, timed_out, syscall_stops},
// used_paths, used_files: [path] (regular files the run read), libraries: [path], files: [{src, dest, directory, executable}],
// written: manifest path or null}.
#include "cli/run_trace.hpp"

#include <sys/stat.h>

#include <iostream>

#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/runtrace/baseline.hpp>
#include <slimbuild/runtrace/manifest_lines.hpp>
#include <slimbuild/runtrace/tracer.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::cli {

void add_run_trace_flags(CLI::App* app, RunTraceOptions& o) {
  app->add_flag("--run", o.enabled, "Run PROGRAM (after --) under ptrace and print what its image needs beyond the manifest");
  app->add_option("--manifest", o.manifest, "With --run: the manifest whose image the program will run in");
  app->add_flag("--write", o.write, "With --run --manifest: add the proposed lines to the manifest");
  app->add_option("--timeout", o.timeout_seconds, "With --run: kill the program (and its children) after this many seconds");
  app->add_flag("--no-seccomp", o.no_seccomp, "With --run: stop at every system call instead of filtering (slower; for measuring)");
}

std::chrono::milliseconds timeout_ms(double seconds) {
  if (seconds < 0) throw Error("--timeout must not be negative", "give seconds, e.g. --timeout 30", kExitUsage);
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

nlohmann::json proposal_json(const runtrace::Proposal& p) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto* group : {&p.files, &p.binaries})
    for (const auto& f : *group)
      files.push_back({{"src", f.src}, {"dest", f.dest}, {"directory", f.directory}, {"executable", f.executable}});
  return {{"libraries", p.libraries}, {"files", files}};
}

nlohmann::json run_json(const runtrace::RunRecord& run, const std::vector<std::string>& argv) {
  return {{"argv", argv},
          {"exit_code", run.exit_code},
          {"signal", run.term_signal},
          {"timed_out", run.timed_out},
          {"syscall_stops", run.syscall_stops}};
}

int run_trace(const RunTraceOptions& o) {
  if (o.argv.empty())
    throw Error("trace --run needs a program", "put it after --: slimbuild trace --run -- /usr/bin/python3 app.py", kExitUsage);
  if (o.write && o.manifest.empty())
    throw Error("--write needs --manifest", "name the manifest to add the lines to: --manifest slimbuild.yml", kExitUsage);

  // What the image already holds, before running anything: a broken manifest
  // is reported without a wasted run.
  std::optional<manifest::Manifest> m;
  if (!o.manifest.empty()) m = manifest::load_manifest(o.manifest);
  runtrace::Baseline baseline =
      m ? runtrace::Baseline::of_manifest(*m) : runtrace::Baseline::of_program(o.argv.front());

  runtrace::RunSpec spec;
  spec.argv = o.argv;
  spec.timeout = timeout_ms(o.timeout_seconds);
  spec.seccomp = !o.no_seccomp;
  spec.stdout_to_stderr = o.json;
  runtrace::PtraceTracer tracer;
  runtrace::RunRecord run = tracer.run(spec);
  if (!run.start_error.empty()) throw Error(run.start_error, "check the program path after --");

  runtrace::RealHostView host;
  runtrace::Proposal proposal =
      runtrace::propose(run, host, [&](const std::string& p) { return baseline.contains(p); });
  proposal.libraries = baseline.drop_dependencies(proposal.libraries);

  std::string written;
  if (o.write && !proposal.empty()) {
    std::string before = util::read_file(m->file);
    std::string after = runtrace::add_to_manifest(before, proposal);
    try {
      manifest::parse_manifest(after, m->file);
    } catch (const Error& e) {
      throw Error(std::string("the manifest with the new lines would not load, so it was left as it was: ") + e.what(),
                  "add the lines printed by `slimbuild trace --run` by hand");
    }
    struct stat st {};
    unsigned mode = ::stat(m->file.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
    util::write_file_atomic(m->file, after, mode);
    written = m->file.string();
  }

  std::string end = o.argv.front() + " " + runtrace::describe_end(run);
  if (o.json) {
    nlohmann::json doc = proposal_json(proposal);
    doc["program"] = run_json(run, o.argv);
    doc["used_paths"] = proposal.used_paths;
    doc["used_files"] = proposal.used_files;
    doc["written"] = written.empty() ? nlohmann::json(nullptr) : nlohmann::json(written);
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (proposal.empty()) {
    std::cout << "# " << o.argv.front() << " used nothing beyond " << (m ? "the manifest" : "its ELF dependencies") << "\n";
  } else {
    std::cout << "# what " << o.argv.front() << " used beyond " << (m ? "the manifest" : "its ELF dependencies") << "\n"
              << runtrace::render_lines(proposal);
  }
  util::info(end + "; " + std::to_string(proposal.used_paths) + " paths used, " +
             std::to_string(proposal.libraries.size()) + " libraries and " +
             std::to_string(proposal.files.size() + proposal.binaries.size()) + " files to add" +
             (written.empty() ? "" : ", added to " + written));
  if (o.write && proposal.empty()) util::info("nothing to add to " + m->file.string());
  if (run.timed_out || run.term_signal || run.exit_code != 0) {
    util::warn(end + ": the proposal covers only what it did before that");
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace slimbuild::cli
