// read_elf: our bounds-checked validation first (elf_validate.cpp), then LIEF
// for what is not worth hand-parsing (the GNU build-id note) and as a second
// opinion on the header. LIEF only ever sees files that passed validation,
// and everything it throws is turned into an Error naming the file.
#include <slimbuild/trace/elf_reader.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

#include <LIEF/ELF.hpp>
#include <LIEF/exception.hpp>
#include <LIEF/logging.hpp>

#include <slimbuild/trace/elf_validate.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>

namespace slimbuild::trace {

namespace {

std::string to_hex(const std::vector<uint8_t>& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// LIEF logs parse warnings to stderr; our own messages are the ones that count.
void silence_lief() {
  static std::once_flag once;
  std::call_once(once, [] { LIEF::Logger::disable(); });
}

std::string lief_build_id(const fs::path& file, const ElfInfo& info) {
  silence_lief();
  std::unique_ptr<LIEF::ELF::Binary> bin;
  try {
    bin = LIEF::ELF::Parser::parse(file.string());
  } catch (const LIEF::exception& e) {
    throw Error(file.string() + " is not a valid ELF file: " + e.what());
  } catch (const std::exception& e) {
    throw Error(file.string() + " is not a valid ELF file: " + e.what());
  }
  if (!bin) throw Error(file.string() + " is not a valid ELF file (LIEF cannot parse it)");
  if (static_cast<uint16_t>(bin->header().machine_type()) != info.machine)
    throw Error(file.string() + " is not a valid ELF file: inconsistent machine type");
  try {
    for (const LIEF::ELF::Note& note : bin->notes())
      if (note.type() == LIEF::ELF::NOTE_TYPES::NT_GNU_BUILD_ID && note.name().rfind("GNU", 0) == 0) return to_hex(note.description());
  } catch (const std::exception&) {
    // A malformed note only costs us the build id, which is informational.
  }
  return {};
}

}  // namespace

ElfInfo read_elf(const fs::path& file) {
  ElfInfo info = validate_elf(file);
  info.build_id = lief_build_id(file, info);
  return info;
}

bool has_elf_magic(const fs::path& file) {
  util::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  char magic[4];
  return ::pread(fd.get(), magic, 4, 0) == 4 && std::memcmp(magic, "\x7f" "ELF", 4) == 0;
}

}  // namespace slimbuild::trace
