// Helpers shared by the rootfs and build unit tests: files in a temp dir and
// a minimal valid Manifest built in code (no YAML), so rootfs assembly can be
// tested on its own.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/rootfs/rootfs.hpp>

namespace rootfs_test {

namespace fs = std::filesystem;

inline fs::path put(const fs::path& root, const std::string& rel, const std::string& content, unsigned mode = 0644) {
  fs::path p = root / rel;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  ::chmod(p.c_str(), mode);
  return p;
}

// A `files:` tree entry copying `src` into /data/, as written at manifest.yml:7:5.
inline slimbuild::manifest::FileSpec tree_spec(const fs::path& src) {
  slimbuild::manifest::FileSpec s;
  s.src = src;
  s.dest = "/data";
  s.dest_is_dir = true;
  s.where = {"manifest.yml", 7, 5};
  return s;
}

inline slimbuild::manifest::Manifest minimal_manifest(const fs::path& dir) {
  slimbuild::manifest::Manifest m;
  m.file = dir / "manifest.yml";
  m.dir = dir;
  m.name = "hello";
  m.binary.path = "/bin/true";
  m.binary.dest = "/app/hello";
  m.entrypoint = {"/app/hello"};
  m.user.name = "app";
  m.user.uid = 65532;
  m.user.gid = 65532;
  m.sysroot = "/";
  m.file = dir / "manifest.yml";
  return m;
}

inline const slimbuild::rootfs::Entry& entry(const slimbuild::rootfs::Rootfs& r, const std::string& path) {
  const auto* e = r.find(path);
  if (!e) throw std::runtime_error("no entry " + path);
  return *e;
}

}  // namespace rootfs_test
