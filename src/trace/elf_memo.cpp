// read_elf_memoised: stat, ask the memo, else parse and tell the memo.
#include <slimbuild/trace/elf_memo.hpp>

#include <sys/stat.h>

#include <optional>

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

ElfInfo read_elf_memoised(const fs::path& file, ElfMemo* memo, const util::FileSystem& files, ElfCrossChecks& later,
                          const std::string& context, const std::function<bool(const ElfInfo&)>& wanted) {
  std::optional<struct stat> st;
  fs::path key;
  if (memo) {
    if (auto now = files.stat(file); now && S_ISREG(now->st_mode)) {
      std::error_code ec;
      key = fs::absolute(file, ec).lexically_normal();
      if (!ec) st = *now;
    }
  }
  if (st)
    if (auto hit = memo->find(key, *st)) return *std::move(hit);
  std::function<void(const ElfInfo&)> then;
  if (st) then = [memo, key, stamp = *st](const ElfInfo& info) { memo->remember(key, stamp, info); };
  return read_elf(file, files, later, context, std::move(then), wanted);
}

}  // namespace slimbuild::trace
