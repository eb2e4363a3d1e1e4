// The keys each manifest mapping may hold, in one place: the readers check
// against them, "did you mean" suggests from them, and a unit test keeps
// docs/manifest.schema.json (the editor schema) in step with them.
#pragma once

#include <string>
#include <vector>

namespace slimbuild::manifest::keys {

inline const std::vector<std::string> kTopLevel = {
    "name",   "image",           "binary", "entrypoint", "cmd",     "libraries", "files",  "user",
    "ca_certificates", "tzdata", "timezone", "env",      "workdir", "ports",     "labels", "sysroot",
    "scanner_metadata", "stop_signal", "volumes", "annotations", "writable", "capabilities", "arbitrary_uid",
    "compression", "platforms"};
inline const std::vector<std::string> kBinary = {"path", "dest"};
inline const std::vector<std::string> kPlatform = {"platform", "binary", "sysroot", "libraries", "files"};
inline const std::vector<std::string> kFile = {"src", "dest", "mode", "exclude"};
inline const std::vector<std::string> kUser = {"name", "uid", "gid"};
inline const std::vector<std::string> kCompression = {"algorithm", "level"};

}  // namespace slimbuild::manifest::keys
