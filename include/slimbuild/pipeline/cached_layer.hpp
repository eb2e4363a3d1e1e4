// The layer step of the pipeline: the manifest's compression settings as the
// layer stage's, and the layer put into the layout either from the content
// cache (verified, nothing compressed) or written and then added to it.
#pragma once

#include <filesystem>
#include <optional>

#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/layer/compressor.hpp>
#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/rootfs/rootfs.hpp>

namespace slimbuild::pipeline {

namespace fs = std::filesystem;

layer::Compression manifest_compression(const manifest::CompressionSpec& spec);

// Without a cache directory, exactly writer.put_layer(). A cache that
// cannot be used only costs time: it is reported as a warning.
layer::LayerResult put_layer_cached(image::LayoutWriter& writer, const rootfs::Rootfs& rootfs,
                                    const layer::LayerOptions& options, const std::optional<fs::path>& cache_dir,
                                    bool& from_cache);

}  // namespace slimbuild::pipeline
