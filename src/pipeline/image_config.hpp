// What the image says about itself besides its files: the OCI config (user,
// environment, entrypoint, ports, labels, platform) and the standard
// org.opencontainers.image.* annotations, derived from the manifest, the
// traced binary and version control. Pure functions: same inputs, same JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/provenance/git.hpp>

namespace slimbuild::manifest { struct Manifest; }
namespace slimbuild::trace { struct TraceResult; }

namespace slimbuild::pipeline {

// Docker's default PATH. There is no shell in the image, but programs that
// exec helpers by name (and Go's os/exec) still consult it.
inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The tag of a reference ("reg:5000/team/app:1.2" -> "1.2"), nullopt when it
// has none ("reg:5000/team/app", "app@sha256:..."). Throws Error for a tag
// that is not [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
std::optional<std::string> reference_tag(const std::string& reference);

// org.opencontainers.image.{created,title,revision,source,version}: created
// from the epoch, title from the manifest name, revision/source/version from
// git (version: the tag of the manifest's image:, else an exact git tag on
// HEAD; never --tag, which only chooses where to push).
std::map<std::string, std::string> standard_annotations(const manifest::Manifest& manifest,
                                                        const std::optional<provenance::GitInfo>& git,
                                                        const std::optional<std::string>& tag, int64_t created);

// Env: PATH, HOME, SSL_CERT_FILE (with a CA bundle), TZ (with timezone:),
// then the manifest's env overriding any of them; sorted by name.
// Labels: the standard annotations, overridden by the manifest's labels.
// WorkingDir: the manifest's workdir, else unset (runtimes use "/", as for
// distroless).
image::ImageConfigSpec make_image_config(const manifest::Manifest& manifest, const trace::TraceResult& trace,
                                         const std::map<std::string, std::string>& annotations, int64_t created);

}  // namespace slimbuild::pipeline
