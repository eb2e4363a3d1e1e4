// What the manifest already puts in the image (see baseline.hpp). Uses the
// same trace and rootfs stages as `build`, so "already there" means exactly
// what the next build will write.
#include <slimbuild/runtrace/baseline.hpp>

#include <cstdlib>

#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/process.hpp>

namespace slimbuild::runtrace {

namespace {

std::string real_or_self(const fs::path& p) {
  std::error_code ec;
  fs::path r = fs::canonical(p, ec);
  return ec ? p.string() : r.string();
}

fs::path find_in_path(const std::string& program) {
  if (auto found = util::find_program(program)) return *found;
  throw Error("cannot find " + program + (program.find('/') == std::string::npos ? " in PATH" : ""),
              "give the program's path (it must be an executable file)");
}

}  // namespace

void Baseline::add(const std::string& image_path, const fs::path& host_path) {
  paths_.insert(image_path);
  if (!host_path.empty()) paths_.insert(real_or_self(host_path));
}

Baseline Baseline::of_manifest(const manifest::Manifest& m) {
  Baseline b;
  b.binary_ = m.binary.path;
  b.binary_dest_ = m.binary.dest;
  b.sysroot_ = m.sysroot;
  b.libraries_ = m.libraries;
  trace::TraceOptions options;
  options.sysroot = m.sysroot;
  options.extra_libraries = m.libraries;
  options.binary_image_path = m.binary.dest;
  trace::TraceResult traced = trace::trace_binary(m.binary.path, options);
  rootfs::Rootfs rootfs = rootfs::assemble_rootfs(m, traced);
  for (const auto& [path, entry] : rootfs.entries())
    if (entry.type != rootfs::EntryType::Directory) b.add(path, entry.source);
  // The host path the binary was run from is the image's binary too.
  b.add(m.binary.dest, m.binary.path);
  return b;
}

Baseline Baseline::of_program(const std::string& program, const fs::path& sysroot) {
  Baseline b;
  b.binary_ = find_in_path(program);
  b.sysroot_ = sysroot;
  trace::TraceOptions options;
  options.sysroot = sysroot;
  trace::TraceResult traced = trace::trace_binary(b.binary_, options);
  b.binary_dest_ = traced.binary.image_path;
  b.add(traced.binary.image_path, traced.binary.host_path);
  b.add(b.binary_.string(), b.binary_);
  if (traced.interpreter) b.add(traced.interpreter->image_path, traced.interpreter->host_path);
  for (const auto& lib : traced.libraries) {
    b.add(lib.image_path, lib.host_path);
    for (const auto& hop : lib.symlinks) b.paths_.insert(hop.image_path);
  }
  return b;
}

std::vector<std::string> Baseline::drop_dependencies(const std::vector<std::string>& proposed) const {
  if (proposed.empty() || binary_.empty()) return proposed;
  trace::TraceOptions options;
  options.sysroot = sysroot_;
  options.binary_image_path = binary_dest_;
  options.extra_libraries = libraries_;
  options.extra_libraries.insert(options.extra_libraries.end(), proposed.begin(), proposed.end());
  trace::TraceResult traced;
  try {
    traced = trace::trace_binary(binary_, options);
  } catch (const Error& e) {
    util::warn(std::string("cannot trace the proposed libraries together (") + e.what() + "); listing all of them");
    return proposed;
  }
  std::set<std::string> dependencies;
  for (const auto& lib : traced.libraries)
    if (!lib.needed_by.empty()) dependencies.insert(real_or_self(lib.host_path));  // an ELF needs it
  std::vector<std::string> out;
  for (const auto& p : proposed)
    if (!dependencies.count(real_or_self(fs::path(sysroot_) / fs::path(p).relative_path()))) out.push_back(p);
  return out;
}

}  // namespace slimbuild::runtrace
