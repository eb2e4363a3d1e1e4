// read_elf_memoised: stat, ask the memo, else parse and tell the memo.
#include <slimbuild/trace/elf_memo.hpp>

#include <sys/stat.h>

namespace slimbuild::trace {

ElfInfo read_elf_memoised(const fs::path& file, ElfMemo* memo, const util::FileSystem& files) {
  if (!memo) return read_elf(file, files);
  auto st = files.stat(file);
  if (!st || !S_ISREG(st->st_mode)) return read_elf(file, files);
  std::error_code ec;
  fs::path key = fs::absolute(file, ec).lexically_normal();
  if (ec) return read_elf(file, files);
  if (auto hit = memo->find(key, *st)) return *std::move(hit);
  ElfInfo info = read_elf(file, files);
  memo->remember(key, *st, info);
  return info;
}

}  // namespace slimbuild::trace
