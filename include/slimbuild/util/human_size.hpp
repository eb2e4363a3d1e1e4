// Sizes as messages show them (build summary, push/pull progress, errors):
// one format everywhere.
#pragma once

#include <cstdint>
#include <string>

namespace slimbuild::util {

// Powers of 1024: "512 B" (exact), then one decimal: "12.3 MiB", "1.0 TiB".
std::string human_size(uint64_t bytes);

}  // namespace slimbuild::util
