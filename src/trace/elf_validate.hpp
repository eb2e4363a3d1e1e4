// Our own bounds-checked reading of the parts of an ELF file the loader
// cares about: the identification bytes, the ELF header, the program header
// table, PT_INTERP, PT_DYNAMIC and the dynamic string table, and the GNU
// build-id note. It exists because LIEF 0.9 trusts the file: truncated input
// "parses" as a binary without DT_NEEDED, which would make us ship an image
// that cannot start. Every offset is checked against the file size before it
// is read, so hostile input yields an Error that names the file and what is
// wrong, never a crash. Reads are positional and bounded, so memory does not
// grow with the file size.
#pragma once

#include <filesystem>

#include <slimbuild/trace/elf_reader.hpp>
#include <slimbuild/util/filesystem.hpp>
#include <slimbuild/util/handles.hpp>

namespace slimbuild::trace {

// Largest PT_INTERP / dynamic string we accept; real ones are < 256 bytes.
inline constexpr size_t kMaxElfString = 4096;
// Bound on PT_DYNAMIC entries; real binaries have < 100.
inline constexpr size_t kMaxDynamicEntries = 65536;
// Bound on DT_NEEDED names and on RPATH/RUNPATH directories per object; real
// ones are < 200. Keeps a hostile file from making the search quadratic.
inline constexpr size_t kMaxNeeded = 4096;

// Reads and validates `file` (stat, open and pread through `files`) and
// fills every ElfInfo field. Throws Error naming the file.
ElfInfo validate_elf(const fs::path& file, const util::FileSystem& files = util::real_filesystem());

// validate_elf, keeping the file open: a second parser (LIEF in read_elf)
// reads the very bytes that were validated, without opening it again.
struct ValidatedElf {
  ElfInfo info;
  util::Fd fd;
  uint64_t size = 0;  // bytes, as validated
};
ValidatedElf validate_elf_open(const fs::path& file, const util::FileSystem& files);

// Splits a DT_RPATH/DT_RUNPATH value on ':' keeping empty elements (the
// loader gives them a meaning; the search path decides what to do).
std::vector<std::string> split_search_list(const std::string& value);

}  // namespace slimbuild::trace
