// read_elf: our bounds-checked reader decides (elf_validate.cpp); LIEF then
// parses the same bytes independently as a cross-check, when the file is
// small enough that a whole-file read costs little. Both read the one
// descriptor the caller's util::FileSystem opened: LIEF 0.9 parses a path or
// a vector it copies, so it is given the descriptor's /proc/self/fd name (the
// same open file, read once by LIEF itself, as before), and where /proc is
// missing a copy read from the descriptor (Parser::parse(vector, name); that
// costs a second copy of the file in memory: +4.5 MB peak tracing curl). A disagreement about the
// machine, the interpreter or DT_NEEDED means one parser was fooled by a
// malformed file, so it is refused rather than guessed at. LIEF only ever
// sees files that passed validation, and everything it throws becomes an
// Error naming the file.
#include <slimbuild/trace/elf_reader.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include <LIEF/ELF.hpp>
#include <LIEF/exception.hpp>
#include <LIEF/logging.hpp>

#include "trace/elf_validate.hpp"
#include <slimbuild/util/error.hpp>

namespace slimbuild::trace {

namespace {

// LIEF reads the whole file and parses every symbol: ~0.1 s and ~60 MB here
// for a 16 MB program, 5.6 s and 1.2 GB for a 540 MB library.
constexpr uintmax_t kLiefCrossCheckLimit = 32u << 20;

// LIEF logs parse warnings to stderr; our own messages are the ones that count.
void silence_lief() {
  static std::once_flag once;
  std::call_once(once, [] { LIEF::Logger::disable(); });
}

// The whole file from the validated descriptor, as LIEF's own reader would.
std::vector<uint8_t> read_whole(const fs::path& file, const ValidatedElf& v) {
  std::vector<uint8_t> data(static_cast<size_t>(v.size));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pread(v.fd.get(), data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error("cannot read " + file.string() + ": " + std::strerror(errno));
    if (n == 0) throw Error(file.string() + " changed while it was being read (it is shorter than before)");
    done += static_cast<size_t>(n);
  }
  return data;
}

std::unique_ptr<LIEF::ELF::Binary> parse_with_lief(const fs::path& file, const ValidatedElf& v) {
  std::string self = "/proc/self/fd/" + std::to_string(v.fd.get());
  if (::access(self.c_str(), R_OK) == 0) return LIEF::ELF::Parser::parse(self);
  return LIEF::ELF::Parser::parse(read_whole(file, v), file.string());
}

void cross_check_with_lief(const fs::path& file, const ValidatedElf& v) {
  silence_lief();
  const ElfInfo& ours = v.info;
  auto disagree = [&](const std::string& what) {
    throw Error(file.string() + " is not a valid ELF file: " + what, "the file is corrupt; rebuild it or copy it again");
  };
  try {
    std::unique_ptr<LIEF::ELF::Binary> bin = parse_with_lief(file, v);
    if (!bin) disagree("LIEF cannot parse it");
    if (static_cast<uint16_t>(bin->header().machine_type()) != ours.machine) disagree("inconsistent machine type");
    std::string interp = bin->has_interpreter() ? bin->interpreter() : "";
    if (interp.substr(0, interp.find('\0')) != ours.interpreter) disagree("inconsistent PT_INTERP");
    size_t needed = 0;
    for (const auto& entry : bin->dynamic_entries())
      if (entry.tag() == LIEF::ELF::DYNAMIC_TAGS::DT_NEEDED) ++needed;
    if (needed != ours.needed.size()) disagree("inconsistent DT_NEEDED entries");
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // LIEF::exception derives from std::exception
    disagree(e.what());
  }
}

}  // namespace

ElfInfo read_elf(const fs::path& file, const util::FileSystem& files) {
  ValidatedElf v = validate_elf_open(file, files);
  if (v.size <= kLiefCrossCheckLimit) cross_check_with_lief(file, v);
  return std::move(v.info);
}

bool has_elf_magic(const fs::path& file, const util::FileSystem& files) {
  auto fd = files.open_read(file);
  if (!fd) return false;
  char magic[4];
  return ::pread(fd->get(), magic, 4, 0) == 4 && std::memcmp(magic, "\x7f" "ELF", 4) == 0;
}

}  // namespace slimbuild::trace
