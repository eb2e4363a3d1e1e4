// A starter manifest as `slimbuild init` proposes it: plain values in the
// manifest's own vocabulary (docs/manifest.md), in the order they are
// written, plus the comments that explain them and the notes on what could
// not be carried over. It is not manifest::Manifest: paths stay as the user
// will read them (relative to the manifest's directory) and nothing here is
// checked against the disk; `write_manifest` turns it into YAML text that
// load_manifest accepts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/init/dockerfile.hpp>

namespace slimbuild::init {

struct StarterFile {
  std::string src;   // as written in the manifest (relative to its directory, or absolute)
  std::string dest;  // absolute image path; a trailing '/' = into this directory
  std::optional<std::string> mode;  // "0755"
};

struct Starter {
  std::vector<std::string> header;  // comment lines at the top (without "# ")
  std::string name;
  std::string binary_path;  // relative to the manifest's directory, or absolute
  std::string binary_dest;  // absolute image path
  std::vector<std::string> binary_comments;  // e.g. "built by stage 'builder': build it first"
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<StarterFile> files;
  std::string user_name = "app";
  uint32_t uid = 65532;
  std::optional<uint32_t> gid;
  std::vector<std::string> user_comments;
  bool ca_certificates = false;
  std::vector<std::string> ca_comments;
  bool tzdata_all = false;          // `tzdata: true`
  std::vector<std::string> zones;   // `tzdata: [..]` (when not all)
  std::vector<std::string> tz_comments;
  std::optional<std::string> timezone;
  std::map<std::string, std::string> env;
  std::optional<std::string> workdir;
  std::vector<std::string> ports;   // "3000/tcp"
  std::map<std::string, std::string> labels;
  std::optional<std::string> stop_signal;
  std::vector<std::string> volumes;
  std::vector<Note> untranslated;   // named on stderr and as comments at the end
  std::vector<std::string> remarks; // translated, but worth a word (shell-form CMD, base image dropped)
};

}  // namespace slimbuild::init
