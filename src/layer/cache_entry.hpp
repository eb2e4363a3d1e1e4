// One layer-cache entry's record (entries/<key>.json, docs/cache.md): the
// layer's result, the SHA-256 of each kPartBytes part of its blob, and a
// seal over all of it; how the record is written, read back (refusing
// anything short of whole and sealed), made from a written layer, and how a blob is
// checked against it, every part again, on several cores. The cache itself
// (keys, the file-hash index, fetch and store, eviction) is layer_cache.cpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <slimbuild/layer/blob_hash.hpp>
#include <slimbuild/layer/layer_writer.hpp>

namespace slimbuild::layer {

struct EntryRecord {
  // Without file_sha256 (not part of an entry); part_sha256 in hex, in
  // order, the last part possibly short.
  LayerResult layer;
};

// The .json text, with its seal.
std::string entry_json(const EntryRecord& r);
// Throws Error on anything short of a whole, sealed record.
EntryRecord parse_entry(const std::string& text);
// The record of a layer whose part hashes were taken as its blob was
// written (LayerOptions::part_hashes) or downloaded; throws Error when they
// do not cover its size.
EntryRecord record_of(const LayerResult& layer);

// Whether what `fd` holds is the blob `r` records: every part hashed again,
// on up to four threads (a hit's whole cost). Unknown when a read fails or
// `stop` is set; `detail` says what did not match.
enum class Verdict { Intact, Corrupt, Unknown };
struct Check {
  Verdict verdict = Verdict::Unknown;
  std::string detail;
};
Check check_blob(int fd, const EntryRecord& r, const std::atomic<bool>* stop);

}  // namespace slimbuild::layer
