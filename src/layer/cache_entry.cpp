// The entry record (cache_entry.hpp): its JSON, its seal, its part hashes
// and the part check.
#include "layer/cache_entry.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/sha256.hpp>
#include <slimbuild/util/threads.hpp>

namespace slimbuild::layer {

namespace {

std::string seal_of(const EntryRecord& r) {
  util::Sha256 h;
  auto field = [&h](const std::string& s) {
    h.update(std::to_string(s.size()) + ":");
    h.update(s);
  };
  for (const std::string& s : {r.layer.digest, std::to_string(r.layer.size), r.layer.diff_id,
                               std::to_string(r.layer.tar_size), r.layer.media_type, std::to_string(kPartBytes)})
    field(s);
  for (const std::string& part : r.layer.part_sha256) field(part);
  return h.hex();
}

}  // namespace

std::string entry_json(const EntryRecord& r) {
  nlohmann::json j{{"digest", r.layer.digest},     {"size", r.layer.size},
                   {"diff_id", r.layer.diff_id},   {"tar_size", r.layer.tar_size},
                   {"media_type", r.layer.media_type}, {"part_bytes", kPartBytes},
                   {"parts", r.layer.part_sha256},             {"seal", seal_of(r)}};
  return j.dump() + "\n";
}

EntryRecord parse_entry(const std::string& text) {
  EntryRecord r;
  auto j = nlohmann::json::parse(text);
  r.layer.digest = j.at("digest").get<std::string>();
  r.layer.size = j.at("size").get<uint64_t>();
  r.layer.diff_id = j.at("diff_id").get<std::string>();
  r.layer.tar_size = j.at("tar_size").get<uint64_t>();
  r.layer.media_type = j.at("media_type").get<std::string>();
  r.layer.part_sha256 = j.at("parts").get<std::vector<std::string>>();
  if (!util::is_sha256_digest(r.layer.digest) || !util::is_sha256_digest(r.layer.diff_id)) throw Error("bad digest");
  if (j.at("part_bytes").get<uint64_t>() != kPartBytes || r.layer.part_sha256.size() != part_count(r.layer.size))
    throw Error("its record does not cover the blob's " + std::to_string(r.layer.size) + " bytes");
  if (j.at("seal").get<std::string>() != seal_of(r)) throw Error("its record does not match its seal");
  return r;
}

EntryRecord record_of(const LayerResult& layer) {
  if (layer.part_sha256.size() != part_count(layer.size))
    throw Error("internal: the layer has " + std::to_string(layer.part_sha256.size()) + " part hashes for " +
                std::to_string(layer.size) + " bytes");
  EntryRecord r;
  r.layer.digest = layer.digest;
  r.layer.size = layer.size;
  r.layer.diff_id = layer.diff_id;
  r.layer.tar_size = layer.tar_size;
  r.layer.media_type = layer.media_type;
  r.layer.part_sha256 = layer.part_sha256;
  return r;
}

Check check_blob(int fd, const EntryRecord& r, const std::atomic<bool>* stop) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {};
  if (static_cast<uint64_t>(st.st_size) != r.layer.size)
    return {Verdict::Corrupt,
            "its blob has " + std::to_string(st.st_size) + " bytes, not " + std::to_string(r.layer.size)};
  const std::size_t count = r.layer.part_sha256.size();
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Check out{Verdict::Intact, {}};
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < count && !failed.load(std::memory_order_relaxed);) {
      const uint64_t offset = i * kPartBytes, length = std::min<uint64_t>(kPartBytes, r.layer.size - offset);
      std::optional<std::string> hex = util::sha256_fd_range_hex(fd, offset, length, stop);
      if (stop && stop->load(std::memory_order_relaxed)) return;
      std::lock_guard lock(mu);
      if (!hex) {  // a read error or a file shorter than it was: no verdict
        if (out.verdict == Verdict::Intact) out = {};
        failed = true;
      } else if (*hex != r.layer.part_sha256[i]) {
        out = {Verdict::Corrupt, "part " + std::to_string(i + 1) + " of " + std::to_string(count) +
                                     " of its blob does not match the SHA-256 recorded when it was stored"};
        failed = true;
      }
    }
  };
  {
    std::vector<std::jthread> helpers;
    const std::size_t threads = std::min<std::size_t>({count, std::max(1u, std::thread::hardware_concurrency()), 4});
    util::add_helpers(helpers, static_cast<unsigned>(threads - 1), worker);
    worker();
  }
  if (out.verdict == Verdict::Intact && stop && stop->load()) return {};
  return out;
}

}  // namespace slimbuild::layer
