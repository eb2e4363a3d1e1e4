// Dockerfile instructions -> a starter manifest and the notes on what could
// not be carried over (docs/init.md has the table). Pure: nothing here
// touches the disk; paths are computed lexically from the two directories
// in the options, so the unit tests feed it any Dockerfile text.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/init/dockerfile.hpp>
#include <slimbuild/init/starter.hpp>

namespace slimbuild::init {

struct TranslateOptions {
  std::filesystem::path context_dir;   // absolute: the Dockerfile's directory (its build context)
  std::filesystem::path manifest_dir;  // absolute: where the manifest will be written
  std::string dockerfile_label = "Dockerfile";  // how the header names it
  std::string name;                    // --name; empty = from the binary's image name
};

// Throws Error when the last stage puts no program into the image that
// could become `binary:` (e.g. ENTRYPOINT runs the base image's shell).
Starter translate(const Dockerfile& dockerfile, const TranslateOptions& options);

// What the recognised commands of one shell-form RUN line do.
struct UserRecord {
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::string group;      // a group named by -G/-g/--ingroup, if any
  bool busybox_system = false;  // `adduser -S` without -G: Alpine puts it in "nogroup"
};
struct RunEffects {
  std::vector<std::string> packages;           // installed by apk/apt-get/apt/dnf/yum/microdnf
  std::map<std::string, UserRecord> users;     // adduser/useradd
  std::map<std::string, uint32_t> groups;      // addgroup/groupadd with a gid
  std::optional<std::string> localtime_zone;   // ln -s/cp /usr/share/zoneinfo/ZONE /etc/localtime ("$TZ" kept as written)
  bool ca_update = false;                      // update-ca-certificates
  std::vector<std::string> unrecognised;       // commands left out, as written
};
RunEffects read_run_line(const std::string& shell_command);

// A decimal uid/gid/port ("1000"), or none for anything else.
std::optional<uint32_t> parse_id(const std::string& text);

// A name the manifest accepts ([a-z0-9._-]+, starting with a letter or digit)
// made from a file name: "Stats Linux" -> "stats-linux"; "" -> "app".
std::string manifest_name(const std::string& file_name);

}  // namespace slimbuild::init
