// ElfMemo: what one ELF file told the reader, kept between builds so an
// unchanged rebuild does not parse its binary and libraries again. Only the
// parse is skipped: the loader's search (which file a name resolves to, in
// glibc's order) runs on every trace, so a new library in an earlier
// directory still wins. An implementation keys the facts by the file's stamp
// (path, device, inode, size, mtime and ctime in ns, from the stat taken
// before the read) and must answer only for exactly that stamp; which stamps
// it dares to record (not one changed just before the build) is its rule.
// TraceOptions::elf_memo hands one in; none means every file is parsed.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <optional>

#include <slimbuild/trace/elf_reader.hpp>

namespace slimbuild::trace {

class ElfMemo {
 public:
  virtual ~ElfMemo() = default;
  // The facts recorded for `file` (an absolute, normal path) with exactly this stat, if any.
  virtual std::optional<ElfInfo> find(const fs::path& file, const struct stat& st) = 0;
  // What read_elf said about `file`, which had the stat `st` before it was read.
  virtual void remember(const fs::path& file, const struct stat& st, const ElfInfo& info) = 0;
};

// read_elf(file), or the memo's answer for the file as it is now. Errors
// (not an ELF file, malformed) are never memoised: they are read every time.
// Both the stat and the read go through `files`.
ElfInfo read_elf_memoised(const fs::path& file, ElfMemo* memo,
                          const util::FileSystem& files = util::real_filesystem());
// The same with LIEF's check queued on `later` when `wanted` says so: the
// memo learns the facts only once the check passed (in later.finish()); a
// file not wanted is neither checked nor remembered.
ElfInfo read_elf_memoised(const fs::path& file, ElfMemo* memo, const util::FileSystem& files, ElfCrossChecks& later,
                          const std::string& context, const std::function<bool(const ElfInfo&)>& wanted);

}  // namespace slimbuild::trace
