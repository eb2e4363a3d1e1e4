// Reads what the dynamic loader needs from one ELF file with our own
// bounds-checked reader (elf_validate.hpp): LIEF 0.9 silently returns a
// "static-looking" binary for truncated input, and it loads the whole file
// into memory (1.2 GB for a 540 MB CUDA library), so it is only a second
// opinion on files small enough for that to be cheap. Throws Error naming the
// file for anything that is not a well-formed ELF: scripts, text, truncated
// or malformed files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/util/filesystem.hpp>

namespace slimbuild::trace {

namespace fs = std::filesystem;

enum class ElfClass : uint8_t { Elf32 = 1, Elf64 = 2 };

struct ElfInfo {
  ElfClass elf_class = ElfClass::Elf64;
  bool little_endian = true;
  uint16_t machine = 0;      // e_machine (EM_X86_64 = 62, EM_AARCH64 = 183, ...)
  uint8_t osabi = 0;
  uint16_t type = 0;         // e_type (ET_EXEC = 2, ET_DYN = 3)
  uint32_t flags = 0;        // e_flags (ARM float ABI etc.)
  std::string interpreter;   // PT_INTERP, empty if none
  std::vector<std::string> needed;   // DT_NEEDED in file order
  std::vector<std::string> rpath;    // DT_RPATH split on ':'
  std::vector<std::string> runpath;  // DT_RUNPATH split on ':'
  std::string soname;        // DT_SONAME
  std::string build_id;      // NT_GNU_BUILD_ID as hex, empty if none
  bool nodeflib = false;     // DF_1_NODEFLIB: its own needs skip ld.so.conf and the default dirs
  std::optional<unsigned> arm_cpu_arch;  // EM_ARM: Tag_CPU_arch from .ARM.attributes, if present
  bool is_static() const { return interpreter.empty() && needed.empty(); }
};

// LIEF's second opinion, given on worker threads while the caller goes on:
// our reader has already decided (read_elf with a queue returns at once),
// and LIEF parses the same open descriptor beside the rest of the trace.
// LIEF reads whole files and every symbol, which made it ~90% of tracing
// curl; on two cores the trace now waits for about half of that.
// finish() waits for every queued file and throws the first disagreement in
// the order the files were queued, so which error is shown never depends on
// timing. Each file's `then` (given our facts) runs on the caller's thread, in queue order,
// only after its check passed (the ELF memo learns only confirmed facts).
// At most kMaxPending files wait at once (each holds its descriptor open).
class ElfCrossChecks {
 public:
  // The check of one validated file: throws Error when the second parser disagrees.
  using Check = std::function<void(const fs::path& file, int fd, uint64_t size, const ElfInfo& ours)>;
  static constexpr std::size_t kMaxPending = 64;

  // With 0 threads (or none to be had) add() itself checks each file.
  explicit ElfCrossChecks(unsigned threads = 2);  // LIEF's check
  ElfCrossChecks(unsigned threads, Check check);  // another one (unit tests)
  ~ElfCrossChecks();  // stops the workers; what was not finished is dropped
  ElfCrossChecks(const ElfCrossChecks&) = delete;
  ElfCrossChecks& operator=(const ElfCrossChecks&) = delete;

  // Takes the descriptor `fd` (closed once checked). `context` is appended to
  // the error message.
  void add(fs::path file, util::Fd fd, uint64_t size, ElfInfo ours, std::string context, std::function<void(const ElfInfo&)> then);
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Opens `file` once through `files`; our reader and LIEF read that descriptor.
ElfInfo read_elf(const fs::path& file, const util::FileSystem& files = util::real_filesystem());
// The same, with LIEF's check queued on `later` (`then` runs once it
// passed), unless `wanted` says our facts make the file of no interest.
ElfInfo read_elf(const fs::path& file, const util::FileSystem& files, ElfCrossChecks& later, std::string context,
                 std::function<void(const ElfInfo&)> then = {},
                 const std::function<bool(const ElfInfo&)>& wanted = {});
// Cheap check of the first bytes ("\x7f" "ELF"); never throws.
bool has_elf_magic(const fs::path& file, const util::FileSystem& files = util::real_filesystem());

}  // namespace slimbuild::trace
