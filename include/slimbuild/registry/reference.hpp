// Image references parsed the way docker does (distribution/reference
// "normalize"): a bare name means Docker Hub's "library/" namespace, the first
// path component is a registry host only when it looks like one (has a '.' or
// ':' or is "localhost"), repository paths must be lowercase, and a reference
// may carry a tag, a digest, or both. Kept pure so the rules are unit-tested.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <slimbuild/util/error.hpp>

namespace slimbuild::registry {

inline constexpr const char* kDockerHubDomain = "docker.io";
inline constexpr const char* kDockerHubApiHost = "registry-1.docker.io";

struct Reference {
  std::string registry;    // as written or normalised: "docker.io", "localhost:5000", "[::1]:5000"
  std::string repository;  // "library/ubuntu", "team/app"
  std::optional<std::string> tag;
  std::optional<std::string> digest;  // "sha256:<64 hex>"

  // Host (and port) the distribution API lives on: Docker Hub's API is not
  // served from docker.io itself.
  std::string api_host() const;
  // What the manifest endpoint is addressed by: the digest when given (it is
  // immutable), else the tag, else "latest".
  std::string manifest_ref() const;
  // Tag to PUT the manifest under: the tag, or "latest" when neither is given.
  std::string tag_or_latest() const;
  // "registry/repository[:tag][@digest]".
  std::string str() const;
  // "registry/repository", used in messages and the mount cache.
  std::string name() const { return registry + "/" + repository; }
};

// The distribution spec's tag grammar: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
bool is_valid_tag(std::string_view tag);

// Parses `text`; the error says which part is wrong and how to fix it.
Result<Reference> parse_reference(std::string_view text);

// True when traffic to `registry` stays on this machine (localhost, 127.0.0.0/8,
// ::1); used only to phrase hints, never to relax TLS.
bool is_loopback_registry(std::string_view registry);

}  // namespace slimbuild::registry
