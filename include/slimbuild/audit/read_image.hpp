// Making an AuditImage from any image: a layout, an oci-/docker-archive or a
// registry reference (opened by the shared image-reading code). The layers
// are streamed once: every entry's type, mode, owner and
// security.capability xattr, the first 64 KiB of every regular file through
// the build's secret detector, and the whole contents of the metadata files
// (passwd, dpkg and apk records) kept. SBOMs come from the layout's
// referrers (SPDX or CycloneDX artifacts whose subject is the image).
#pragma once

#include <vector>

#include <slimbuild/audit/audit.hpp>
#include <slimbuild/inspect/image_source.hpp>

namespace slimbuild::audit {

AuditImage read_audit_image(const inspect::OpenedImage& image);
// Every image the opened entry stands for: an image index's platform
// images (each with its platform), or the one image.
std::vector<AuditImage> read_audit_images(const inspect::OpenedImage& image);

}  // namespace slimbuild::audit
