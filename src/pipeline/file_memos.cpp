// StampMemo and its two users (see the header for the rules): the file is
// "<format line>\n" then one record per line, "<sha256 of the JSON> <JSON>"
// with the JSON [key, dev, ino, size, mtime ns, ctime ns, value].
#include "pipeline/file_memos.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/file_identity.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::pipeline {

namespace {

constexpr const char* kFormat = "slimbuild-memo v1";
// A bound on the file: beyond it, only the records this build used are kept.
constexpr std::size_t kMaxRecords = 200'000;

}  // namespace

StampMemo::StampMemo(fs::path file, std::string kind, int64_t started_ns)
    : file_(std::move(file)), kind_(std::move(kind)), started_ns_(started_ns) {}

std::map<std::string, StampMemo::Record>& StampMemo::records() {
  if (!records_) records_ = load(file_);
  return *records_;
}

std::string StampMemo::header() const { return std::string(kFormat) + " " + kind_ + " slimbuild " + SLIMBUILD_VERSION; }

std::map<std::string, StampMemo::Record> StampMemo::load(const fs::path& file) const {
  std::map<std::string, Record> out;
  std::ifstream in(file, std::ios::binary);
  std::string line;
  if (!std::getline(in, line) || line != header()) return out;  // none yet, or another format or version
  while (std::getline(in, line)) {
    if (line.size() < 66 || line[64] != ' ') continue;
    std::string_view text = std::string_view(line).substr(65);
    if (util::sha256_hex(text) != line.substr(0, 64)) continue;
    try {
      auto j = nlohmann::json::parse(text);
      if (!j.is_array() || j.size() != 7) continue;
      Record r;
      r.stamp = {j[1].get<uint64_t>(), j[2].get<uint64_t>(), j[3].get<uint64_t>(), j[4].get<int64_t>(),
                 j[5].get<int64_t>()};
      r.value = std::move(j[6]);
      out[j[0].get<std::string>()] = std::move(r);
    } catch (const std::exception&) {
      continue;  // a record that is not ours: a miss
    }
  }
  return out;
}

const nlohmann::json* StampMemo::find(const std::string& key, const struct stat& st) {
  auto& records = this->records();
  auto it = records.find(key);
  if (it == records.end() || !(it->second.stamp == util::FileStamp::of(st))) return nullptr;
  it->second.used = true;
  return &it->second.value;
}

void StampMemo::remember(const std::string& key, const struct stat& st, nlohmann::json value) {
  util::FileStamp s = util::FileStamp::of(st);
  // Changed at most a tick before this build began: the same stamp might
  // later hold other content. Read it again next time.
  if (!s.settled_before(started_ns_)) return;
  records()[key] = Record{s, std::move(value), true};
  dirty_ = true;
}

void StampMemo::save() noexcept {
  if (!dirty_) return;
  try {
    util::Fd lock(::open((file_.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock || ::flock(lock.get(), LOCK_EX) != 0) return;
    // Keep what concurrent builds recorded meanwhile; ours wins for our keys.
    std::map<std::string, Record> merged = load(file_);
    for (auto& [key, rec] : *records_)
      if (rec.used || !merged.count(key)) merged[key] = rec;
    std::string out = header() + "\n";
    for (const auto& [key, rec] : merged) {
      if (merged.size() > kMaxRecords && !rec.used) continue;
      const util::FileStamp& s = rec.stamp;
      std::string text;
      try {
        text = nlohmann::json::array({key, s.dev, s.ino, s.size, s.mtime_ns, s.ctime_ns, rec.value}).dump();
      } catch (const nlohmann::json::exception&) {
        continue;  // a path that is not UTF-8: not memoised
      }
      out += util::sha256_hex(text) + " " + text + "\n";
    }
    util::write_file_atomic(file_, out);
    dirty_ = false;
  } catch (const std::exception& e) {
    util::warn("could not update " + file_.string() + ": " + e.what());
  }
}

nlohmann::json elf_facts_json(const trace::ElfInfo& e) {
  nlohmann::json j{{"class", static_cast<int>(e.elf_class)}, {"le", e.little_endian}, {"machine", e.machine},
                   {"osabi", e.osabi}, {"type", e.type}, {"flags", e.flags}, {"interp", e.interpreter},
                   {"needed", e.needed}, {"rpath", e.rpath}, {"runpath", e.runpath}, {"soname", e.soname},
                   {"build_id", e.build_id}, {"nodeflib", e.nodeflib}};
  j["arm_cpu_arch"] = e.arm_cpu_arch ? nlohmann::json(*e.arm_cpu_arch) : nlohmann::json(nullptr);
  return j;
}

trace::ElfInfo elf_facts_from_json(const nlohmann::json& j) {
  trace::ElfInfo e;
  int cls = j.at("class").get<int>();
  if (cls != 1 && cls != 2) throw Error("bad ELF class");
  e.elf_class = static_cast<trace::ElfClass>(cls);
  e.little_endian = j.at("le").get<bool>();
  e.machine = j.at("machine").get<uint16_t>();
  e.osabi = j.at("osabi").get<uint8_t>();
  e.type = j.at("type").get<uint16_t>();
  e.flags = j.at("flags").get<uint32_t>();
  e.interpreter = j.at("interp").get<std::string>();
  e.needed = j.at("needed").get<std::vector<std::string>>();
  e.rpath = j.at("rpath").get<std::vector<std::string>>();
  e.runpath = j.at("runpath").get<std::vector<std::string>>();
  e.soname = j.at("soname").get<std::string>();
  e.build_id = j.at("build_id").get<std::string>();
  e.nodeflib = j.at("nodeflib").get<bool>();
  if (!j.at("arm_cpu_arch").is_null()) e.arm_cpu_arch = j.at("arm_cpu_arch").get<unsigned>();
  return e;
}

ElfFactsMemo::ElfFactsMemo(const fs::path& cache_dir, int64_t started_ns)
    : memo_(cache_dir / "elf-facts", "elf-facts", started_ns) {}

std::optional<trace::ElfInfo> ElfFactsMemo::find(const fs::path& file, const struct stat& st) {
  const nlohmann::json* v = memo_.find(file.string(), st);
  if (!v) return std::nullopt;
  try {
    return elf_facts_from_json(*v);
  } catch (const std::exception&) {
    return std::nullopt;  // parsed again, and recorded afresh
  }
}

void ElfFactsMemo::remember(const fs::path& file, const struct stat& st, const trace::ElfInfo& info) {
  memo_.remember(file.string(), st, elf_facts_json(info));
}

SecretVerdictMemo::SecretVerdictMemo(const fs::path& cache_dir, int64_t started_ns)
    : memo_(cache_dir / "secret-scans", "secret-scans", started_ns) {}

std::optional<std::optional<std::string>> SecretVerdictMemo::find(const std::string& key, const struct stat& st) {
  std::lock_guard lock(mu_);
  const nlohmann::json* v = memo_.find(key, st);
  if (!v) return std::nullopt;
  if (v->is_null()) return std::optional<std::string>();
  if (v->is_string()) return std::optional<std::string>(v->get<std::string>());
  return std::nullopt;
}

void SecretVerdictMemo::remember(const std::string& key, const struct stat& st, const std::optional<std::string>& reason) {
  std::lock_guard lock(mu_);
  memo_.remember(key, st, reason ? nlohmann::json(*reason) : nlohmann::json(nullptr));
}

}  // namespace slimbuild::pipeline
