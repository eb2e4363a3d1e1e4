// The memos beside the layer cache (docs/cache.md): parsed ELF facts for
// trace (trace::ElfMemo) and the secret guard's content verdicts for rootfs
// (rootfs::SecretMemo), each one file in the cache directory (elf-facts,
// secret-scans). A record is keyed by a path and the file's stamp (device,
// inode, size, mtime and ctime in ns), with the rule of the layer cache's
// file-hash index: a stamp whose mtime or ctime is within a timestamp tick
// of the build's start (or later) is never recorded, since a write at that
// moment could leave the same stamp on other content. Every line carries the
// SHA-256 of its own text, and the file's first line names its format and
// slimbuild's version: a damaged or foreign record is a miss, never trusted.
// Saving merges with what concurrent builds wrote meanwhile, under an flock,
// through an atomic rename; a memo that cannot be read or written only costs
// time (a warning on save).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <slimbuild/rootfs/secret_memo.hpp>
#include <slimbuild/trace/elf_memo.hpp>
#include <slimbuild/util/file_identity.hpp>

namespace slimbuild::pipeline {

namespace fs = std::filesystem;

// One memo file: key + stamp -> a JSON value.
class StampMemo {
 public:
  // Loads `file` when first asked (a missing or unreadable one is empty), so
  // a build that never asks never reads it. `kind` goes into the format
  // line; `started_ns` is the build's start (CLOCK_REALTIME).
  StampMemo(fs::path file, std::string kind, int64_t started_ns);
  const nlohmann::json* find(const std::string& key, const struct stat& st);
  void remember(const std::string& key, const struct stat& st, nlohmann::json value);
  // Writes what changed (never throws; a warning on failure).
  void save() noexcept;

 private:
  struct Record {
    util::FileStamp stamp;
    nlohmann::json value;
    bool used = false;
  };
  std::map<std::string, Record> load(const fs::path& file) const;
  std::string header() const;
  fs::path file_;
  std::string kind_;
  int64_t started_ns_;
  std::map<std::string, Record>& records();
  std::optional<std::map<std::string, Record>> records_;
  bool dirty_ = false;
};

class ElfFactsMemo final : public trace::ElfMemo {
 public:
  ElfFactsMemo(const fs::path& cache_dir, int64_t started_ns);
  std::optional<trace::ElfInfo> find(const fs::path& file, const struct stat& st) override;
  void remember(const fs::path& file, const struct stat& st, const trace::ElfInfo& info) override;
  void save() noexcept { memo_.save(); }

 private:
  StampMemo memo_;
};

class SecretVerdictMemo final : public rootfs::SecretMemo {
 public:
  SecretVerdictMemo(const fs::path& cache_dir, int64_t started_ns);
  std::optional<std::optional<std::string>> find(const std::string& key, const struct stat& st) override;
  void remember(const std::string& key, const struct stat& st, const std::optional<std::string>& reason) override;
  void save() noexcept {
    std::lock_guard lock(mu_);
    memo_.save();
  }

 private:
  std::mutex mu_;  // the walk's reader threads ask at once
  StampMemo memo_;
};

// The ELF facts as JSON and back; from_json throws on anything malformed.
nlohmann::json elf_facts_json(const trace::ElfInfo& info);
trace::ElfInfo elf_facts_from_json(const nlohmann::json& j);


}  // namespace slimbuild::pipeline
