// Bounds-checked ELF reading: identification, header, program headers,
// PT_INTERP and the dynamic section's strings. Every range is compared with
// the real file size before it is read (LIEF 0.9 does not do that), and the
// first bytes of a non-ELF file are used to say what it is instead (script,
// text, archive), because "not an ELF" alone does not tell the user what to fix.
#include "trace/elf_validate.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "trace/arm_attributes.hpp"
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>

namespace slimbuild::trace {

namespace {

constexpr uint32_t kPtLoad = 1, kPtDynamic = 2, kPtInterp = 3, kPtNote = 4;
// Notes are a few dozen bytes; a bigger PT_NOTE is not worth reading for a build id.
constexpr uint64_t kMaxNoteSegment = 1 << 20;
constexpr uint32_t kNtGnuBuildId = 3;
constexpr int64_t kDtNull = 0, kDtNeeded = 1, kDtStrtab = 5, kDtStrsz = 10, kDtSoname = 14, kDtRpath = 15,
                  kDtRunpath = 29, kDtFlags1 = 0x6ffffffb;
constexpr uint64_t kDf1Nodeflib = 0x800;
constexpr uint16_t kEtRel = 1, kEtExec = 2, kEtDyn = 3, kEtCore = 4;

// [off, off + len) inside [0, size), without overflow.
bool within(uint64_t off, uint64_t len, uint64_t size) { return off <= size && len <= size - off; }

std::string hex_bytes(std::string_view bytes) {
  std::string out;
  char buf[4];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "%s%02x", out.empty() ? "" : " ", c);
    out += buf;
  }
  return out;
}

std::string hex_u64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// An open file read with pread; reads are small and bounded by the caller.
class ElfFile {
 public:
  ElfFile(const fs::path& file, const util::FileSystem& files) : name_(file.string()) {
    auto st = files.stat(file);
    if (!st) {
      if (st.error() == ENOENT) throw Error(name_ + " does not exist", "check the path (it is relative to the current directory or the manifest)");
      throw Error("cannot read " + name_ + ": " + std::strerror(st.error()));
    }
    if (S_ISDIR(st->st_mode)) throw Error(name_ + " is a directory, not an ELF binary");
    if (!S_ISREG(st->st_mode)) throw Error(name_ + " is not a regular file, not an ELF binary");
    auto fd = files.open_read(file);
    if (!fd) throw Error("cannot open " + name_ + ": " + std::strerror(fd.error()));
    fd_ = std::move(*fd);
    size_ = static_cast<uint64_t>(st->st_size);
  }

  const std::string& name() const { return name_; }
  uint64_t size() const { return size_; }
  util::Fd release_fd() { return std::move(fd_); }

  // Exactly `len` bytes at `off`; the caller has checked the range.
  std::string read(uint64_t off, size_t len) const {
    std::string buf(len, '\0');
    size_t done = 0;
    while (done < len) {
      ssize_t n = ::pread(fd_.get(), buf.data() + done, len - done, static_cast<off_t>(off + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error("cannot read " + name_ + ": " + std::strerror(errno));
      if (n == 0) throw Error(name_ + " changed while it was being read (it is shorter than before)");
      done += static_cast<size_t>(n);
    }
    return buf;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(name_ + " is not a valid ELF file: " + what,
                "the file is truncated or corrupt; rebuild it or copy it again");
  }
  [[noreturn]] void truncated(const std::string& what, uint64_t end) const {
    throw Error(name_ + " is truncated: " + what + " ends at byte " + std::to_string(end) + " but the file has " +
                    std::to_string(size_) + " bytes",
                "the file was cut short (interrupted copy or download?); rebuild it or copy it again");
  }

 private:
  std::string name_;
  util::Fd fd_;
  uint64_t size_ = 0;
};

// Says what a non-ELF file is, from its first bytes.
[[noreturn]] void reject_non_elf(const ElfFile& f, const std::string& head) {
  const std::string& name = f.name();
  if (head.empty()) throw Error(name + " is empty, not an ELF binary", "point binary.path at the compiled program");
  if (head.rfind("#!", 0) == 0) {
    std::string line = head.substr(0, head.find('\n'));
    if (line.size() > 80) line = line.substr(0, 80) + "...";
    for (char& c : line)
      if (static_cast<unsigned char>(c) < 0x20) c = '?';
    throw Error(name + " is a script (" + line + "), not an ELF binary: slimbuild packages compiled binaries",
                "images contain no shell or interpreter: package a compiled program (binary.path in the manifest)");
  }
  if (head.rfind("!<arch>\n", 0) == 0)
    throw Error(name + " is a static library archive (.a), not an ELF binary", "link it into a program first");
  bool text = true;
  for (unsigned char c : head)
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') text = false;
  if (text) throw Error(name + " is a text file, not an ELF binary", "point binary.path at the compiled program");
  throw Error(name + " is not an ELF binary (it starts with bytes " + hex_bytes(head.substr(0, 4)) + ")",
              "point binary.path at a compiled Linux program");
}

// Endian- and class-aware field access on buffers read from the file.
struct Layout {
  bool is64 = true;
  bool little = true;

  uint64_t get(const std::string& buf, size_t off, size_t width) const {
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) {
      uint64_t byte = static_cast<unsigned char>(buf[off + (little ? i : width - 1 - i)]);
      v |= byte << (8 * i);
    }
    return v;
  }
  uint64_t word(const std::string& buf, size_t off) const { return get(buf, off, is64 ? 8 : 4); }
  size_t ehdr_size() const { return is64 ? 64 : 52; }
  size_t phdr_size() const { return is64 ? 56 : 32; }
  size_t dyn_size() const { return is64 ? 16 : 8; }
};

struct Segment {
  uint32_t type = 0;
  uint64_t offset = 0, vaddr = 0, filesz = 0, memsz = 0, align = 0;
};

const char* segment_name(uint32_t type) {
  switch (type) {
    case kPtLoad: return "PT_LOAD segment";
    case kPtDynamic: return "PT_DYNAMIC segment";
    case kPtInterp: return "PT_INTERP segment";
    case kPtNote: return "PT_NOTE segment";
    default: return "segment";
  }
}

std::vector<Segment> read_program_headers(const ElfFile& f, const Layout& L, const std::string& eh) {
  uint64_t phoff = L.word(eh, L.is64 ? 32 : 28);
  uint64_t phentsize = L.get(eh, L.is64 ? 54 : 42, 2);
  uint64_t phnum = L.get(eh, L.is64 ? 56 : 44, 2);
  if (phnum == 0) return {};  // e.g. a relocatable object; rejected by type later
  if (phnum == 0xffff) f.fail("extended program header numbering (e_phnum = 0xffff) is not supported");
  if (phentsize != L.phdr_size())
    f.fail("e_phentsize is " + std::to_string(phentsize) + ", expected " + std::to_string(L.phdr_size()));
  uint64_t table = phnum * phentsize;
  if (!within(phoff, table, f.size())) {
    if (phoff > f.size()) f.truncated("program header table (starting at byte " + std::to_string(phoff) + ")", phoff + table);
    f.truncated("program header table", phoff + table);
  }
  std::string ph = f.read(phoff, table);
  std::vector<Segment> segs;
  for (uint64_t i = 0; i < phnum; ++i) {
    size_t b = i * phentsize;
    Segment s;
    s.type = static_cast<uint32_t>(L.get(ph, b, 4));
    s.offset = L.word(ph, b + (L.is64 ? 8 : 4));
    s.vaddr = L.word(ph, b + (L.is64 ? 16 : 8));
    s.filesz = L.word(ph, b + (L.is64 ? 32 : 16));
    s.memsz = L.word(ph, b + (L.is64 ? 40 : 20));
    s.align = L.word(ph, b + (L.is64 ? 48 : 28));
    if ((s.type == kPtLoad || s.type == kPtDynamic || s.type == kPtInterp || s.type == kPtNote) && !within(s.offset, s.filesz, f.size())) {
      uint64_t end = s.offset + s.filesz;
      if (end < s.offset) f.fail(std::string(segment_name(s.type)) + " has an impossible size");
      f.truncated(std::string(segment_name(s.type)) + " " + std::to_string(i), end);
    }
    segs.push_back(s);
  }
  return segs;
}

// The rules the kernel and ld.so apply before mapping anything: without
// them, a valid header in front of garbage (random program headers, none of
// them PT_INTERP or PT_DYNAMIC) would pass as a "static" binary.
void check_load_segments(const ElfFile& f, const std::vector<Segment>& segs) {
  bool any_load = false;
  for (size_t i = 0; i < segs.size(); ++i) {
    const Segment& s = segs[i];
    if (s.type != kPtLoad) continue;
    any_load = true;
    std::string what = "PT_LOAD segment " + std::to_string(i);
    if (s.filesz > s.memsz) f.fail(what + " has more bytes in the file than in memory (p_filesz > p_memsz)");
    if (s.align > 1) {
      if ((s.align & (s.align - 1)) != 0) f.fail(what + " has an alignment that is not a power of two");
      if ((s.vaddr - s.offset) % s.align != 0) f.fail(what + " is not aligned: p_offset and p_vaddr differ modulo p_align");
    }
  }
  if (!any_load) f.fail("it has no loadable (PT_LOAD) segment, so nothing could run it");
}

std::string read_interpreter(const ElfFile& f, const Segment& s) {
  if (s.filesz == 0 || s.filesz > kMaxElfString) f.fail("PT_INTERP has an implausible size of " + std::to_string(s.filesz) + " bytes");
  std::string raw = f.read(s.offset, s.filesz);
  size_t nul = raw.find('\0');
  if (nul == std::string::npos) f.fail("PT_INTERP is not NUL-terminated");
  std::string interp = raw.substr(0, nul);
  // Control characters first: the message below quotes the string.
  for (unsigned char c : interp)
    if (c < 0x20 || c == 0x7f) f.fail("PT_INTERP contains control characters");
  if (interp.empty() || interp[0] != '/') f.fail("PT_INTERP \"" + interp + "\" is not an absolute path");
  return interp;
}

// Maps a virtual address range onto the file through the PT_LOAD segments.
std::optional<uint64_t> file_offset(const std::vector<Segment>& segs, uint64_t addr, uint64_t len) {
  for (const auto& s : segs) {
    if (s.type != kPtLoad || addr < s.vaddr) continue;
    uint64_t rel = addr - s.vaddr;
    if (within(rel, len, s.filesz)) return s.offset + rel;
  }
  return std::nullopt;
}

void read_dynamic(const ElfFile& f, const Layout& L, const std::vector<Segment>& segs, const Segment& dyn, ElfInfo& info) {
  uint64_t count = dyn.filesz / L.dyn_size();
  if (count > kMaxDynamicEntries) f.fail("PT_DYNAMIC claims " + std::to_string(count) + " entries");
  std::string raw = f.read(dyn.offset, count * L.dyn_size());

  std::optional<uint64_t> strtab, strsz, soname;
  std::vector<uint64_t> needed, rpath, runpath;
  for (uint64_t i = 0; i < count; ++i) {
    size_t b = i * L.dyn_size();
    int64_t tag = static_cast<int64_t>(L.word(raw, b));
    if (!L.is64) tag = static_cast<int32_t>(tag);
    uint64_t val = L.word(raw, b + L.dyn_size() / 2);
    if (tag == kDtNull) break;
    switch (tag) {
      case kDtNeeded: needed.push_back(val); break;
      case kDtStrtab: strtab = val; break;
      case kDtStrsz: strsz = val; break;
      case kDtSoname: soname = val; break;
      case kDtRpath: rpath.push_back(val); break;
      case kDtRunpath: runpath.push_back(val); break;
      case kDtFlags1: info.nodeflib = (val & kDf1Nodeflib) != 0; break;
      default: break;
    }
  }
  if (needed.empty() && rpath.empty() && runpath.empty() && !soname) return;
  if (needed.size() > kMaxNeeded) f.fail(std::to_string(needed.size()) + " DT_NEEDED entries is not a plausible number");
  if (!strtab || !strsz) f.fail("the dynamic section has DT_NEEDED/DT_SONAME entries but no DT_STRTAB/DT_STRSZ");
  std::optional<uint64_t> table = file_offset(segs, *strtab, *strsz);
  if (!table)
    f.fail("the dynamic string table (address " + hex_u64(*strtab) + ", " + std::to_string(*strsz) +
           " bytes) is not inside a loaded segment of the file");

  auto string_at = [&](uint64_t off, const char* what) {
    if (off >= *strsz)
      f.fail(std::string(what) + " string offset " + std::to_string(off) + " is beyond the dynamic string table (" +
             std::to_string(*strsz) + " bytes)");
    uint64_t len = std::min<uint64_t>(*strsz - off, kMaxElfString + 1);
    std::string s = f.read(*table + off, len);
    size_t nul = s.find('\0');
    if (nul == std::string::npos) f.fail(std::string(what) + " string at offset " + std::to_string(off) + " is not NUL-terminated");
    s.resize(nul);
    // Real names are plain paths; control characters would only garble our messages.
    if (std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
      f.fail(std::string(what) + " string at offset " + std::to_string(off) + " contains control characters");
    return s;
  };
  for (uint64_t off : needed) {
    std::string name = string_at(off, "DT_NEEDED");
    if (name.empty()) f.fail("a DT_NEEDED entry is empty");
    info.needed.push_back(std::move(name));
  }
  auto add_search_list = [&](const std::vector<uint64_t>& offsets, const char* what, std::vector<std::string>& out) {
    for (uint64_t off : offsets)
      for (auto& d : split_search_list(string_at(off, what))) out.push_back(std::move(d));
    if (out.size() > kMaxNeeded) f.fail(std::string(what) + " lists " + std::to_string(out.size()) + " directories");
  };
  add_search_list(rpath, "DT_RPATH", info.rpath);
  add_search_list(runpath, "DT_RUNPATH", info.runpath);
  if (soname) info.soname = string_at(*soname, "DT_SONAME");
}

// Section headers are not needed to load a program, but LIEF 0.9 reads every
// section it lists and grows one buffer to the end of each: a 4 KiB file
// whose sections claim gigabytes past its end costs seconds and memory (the
// ELF fuzz target found one). Linkers never write a section outside the
// file, so such a table is a corrupt file and LIEF never sees it.
void check_section_headers(const ElfFile& f, const Layout& L, const std::string& eh) {
  constexpr uint32_t kShtNobits = 8;
  uint64_t shoff = L.word(eh, L.is64 ? 40 : 32);
  uint64_t shentsize = L.get(eh, L.is64 ? 58 : 46, 2), shnum = L.get(eh, L.is64 ? 60 : 48, 2);
  if (shoff == 0 || shnum == 0) return;  // no section headers (stripped by sstrip, UPX): fine
  if (shentsize != (L.is64 ? 64u : 40u))
    f.fail("e_shentsize is " + std::to_string(shentsize) + ", expected " + std::to_string(L.is64 ? 64 : 40));
  if (!within(shoff, shnum * shentsize, f.size()))
    f.truncated("section header table (starting at byte " + std::to_string(shoff) + ")", shoff + shnum * shentsize);
  std::string sh = f.read(shoff, shnum * shentsize);
  for (uint64_t i = 0; i < shnum; ++i) {
    size_t b = i * shentsize;
    // LIEF reads every entry, SHT_NULL ones included; only NOBITS
    // (.bss) occupies no file bytes.
    uint32_t type = static_cast<uint32_t>(L.get(sh, b + 4, 4));
    uint64_t off = L.word(sh, b + (L.is64 ? 24 : 16)), size = L.word(sh, b + (L.is64 ? 32 : 20));
    if (type == kShtNobits || size == 0) continue;
    if (!within(off, size, f.size()))
      f.fail("section " + std::to_string(i) + " (bytes " + std::to_string(off) + " to " + std::to_string(off + size) +
             ") lies outside the file of " + std::to_string(f.size()) + " bytes");
  }
}

// The .ARM.attributes section of an EM_ARM file, found through the section
// headers. Nothing loads sections, so anything odd here just means "unknown".
std::optional<unsigned> read_arm_cpu_arch(const ElfFile& f, const Layout& L, const std::string& eh) {
  constexpr uint32_t kShtArmAttributes = 0x70000003;
  constexpr uint64_t kMaxAttributes = 64 << 10;
  uint64_t shoff = L.word(eh, L.is64 ? 40 : 32);
  uint64_t shentsize = L.get(eh, L.is64 ? 58 : 46, 2), shnum = L.get(eh, L.is64 ? 60 : 48, 2);
  if (shoff == 0 || shentsize != (L.is64 ? 64u : 40u) || !within(shoff, shnum * shentsize, f.size())) return std::nullopt;
  std::string sh = f.read(shoff, shnum * shentsize);
  for (uint64_t i = 0; i < shnum; ++i) {
    size_t b = i * shentsize;
    if (L.get(sh, b + 4, 4) != kShtArmAttributes) continue;
    uint64_t off = L.word(sh, b + (L.is64 ? 24 : 16)), size = L.word(sh, b + (L.is64 ? 32 : 20));
    if (size > kMaxAttributes || !within(off, size, f.size())) return std::nullopt;
    return arm_cpu_arch(f.read(off, size), L.little);
  }
  return std::nullopt;
}

// NT_GNU_BUILD_ID from a PT_NOTE segment, as hex; empty if there is none.
// Each note is namesz, descsz, type (4-byte words in both classes), then the
// name and the descriptor, each padded to the segment's alignment (4 or 8).
std::string read_build_id(const ElfFile& f, const Layout& L, const Segment& s) {
  if (s.filesz > kMaxNoteSegment) return {};
  std::string notes = f.read(s.offset, s.filesz);
  uint64_t pad = s.align == 8 ? 8 : 4;
  auto padded = [pad](uint64_t n) { return (n + pad - 1) / pad * pad; };
  for (uint64_t at = 0; within(at, 12, notes.size());) {
    uint64_t namesz = L.get(notes, at, 4), descsz = L.get(notes, at + 4, 4), type = L.get(notes, at + 8, 4);
    uint64_t name_at = at + 12, desc_at = name_at + padded(namesz);
    // The loader ignores malformed notes; only the (informational) build id is lost.
    if (!within(name_at, padded(namesz), notes.size()) || !within(desc_at, descsz, notes.size())) return {};
    if (type == kNtGnuBuildId && namesz == 4 && notes.compare(name_at, 4, std::string("GNU\0", 4)) == 0) {
      static const char digits[] = "0123456789abcdef";
      std::string hex;
      for (uint64_t i = 0; i < descsz && i < 64; ++i) {
        auto c = static_cast<unsigned char>(notes[desc_at + i]);
        hex += digits[c >> 4];
        hex += digits[c & 15];
      }
      return hex;
    }
    at = desc_at + padded(descsz);
  }
  return {};
}

}  // namespace

std::vector<std::string> split_search_list(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t colon = value.find(':', start);
    out.push_back(value.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return out;
}

namespace {

ElfInfo validate(const ElfFile& f) {
  std::string head = f.read(0, std::min<uint64_t>(f.size(), 512));
  if (head.size() < 4 || head.compare(0, 4, "\x7f" "ELF") != 0) reject_non_elf(f, head);
  if (f.size() < 16) f.truncated("the ELF identification", 16);

  Layout L;
  unsigned char cls = head[4], data = head[5], version = head[6];
  if (cls != 1 && cls != 2) f.fail("unknown ELF class " + std::to_string(cls));
  if (data != 1 && data != 2) f.fail("unknown ELF data encoding " + std::to_string(data));
  if (version != 1) f.fail("unknown ELF version " + std::to_string(version));
  L.is64 = cls == 2;
  L.little = data == 1;
  if (f.size() < L.ehdr_size()) f.truncated("the ELF header", L.ehdr_size());
  std::string eh = head.substr(0, L.ehdr_size());

  ElfInfo info;
  info.elf_class = L.is64 ? ElfClass::Elf64 : ElfClass::Elf32;
  info.little_endian = L.little;
  info.osabi = static_cast<uint8_t>(head[7]);
  info.type = static_cast<uint16_t>(L.get(eh, 16, 2));
  info.machine = static_cast<uint16_t>(L.get(eh, 18, 2));
  info.flags = static_cast<uint32_t>(L.get(eh, L.is64 ? 48 : 36, 4));
  if (info.type == kEtRel) throw Error(f.name() + " is an object file (.o), not a linked program", "link it into an executable first");
  if (info.type == kEtCore) throw Error(f.name() + " is a core dump, not a program");
  if (info.type != kEtExec && info.type != kEtDyn) f.fail("unsupported ELF type " + std::to_string(info.type));

  std::vector<Segment> segs = read_program_headers(f, L, eh);
  if (segs.empty()) f.fail("it has no program headers, so nothing could load it");
  check_load_segments(f, segs);
  check_section_headers(f, L, eh);
  const Segment* dynamic = nullptr;
  for (const auto& s : segs) {
    if (s.type == kPtInterp) {
      if (!info.interpreter.empty()) f.fail("more than one PT_INTERP");
      info.interpreter = read_interpreter(f, s);
    } else if (s.type == kPtDynamic) {
      if (dynamic) f.fail("more than one PT_DYNAMIC");
      dynamic = &s;
    } else if (s.type == kPtNote && info.build_id.empty()) {
      info.build_id = read_build_id(f, L, s);
    }
  }
  if (dynamic) read_dynamic(f, L, segs, *dynamic, info);
  constexpr uint16_t kEmArm = 40;
  if (info.machine == kEmArm) info.arm_cpu_arch = read_arm_cpu_arch(f, L, eh);
  if (!info.interpreter.empty() && !dynamic) f.fail("it has PT_INTERP but no PT_DYNAMIC");
  return info;
}

}  // namespace

ValidatedElf validate_elf_open(const fs::path& file, const util::FileSystem& files) {
  ElfFile f(file, files);
  ValidatedElf v;
  v.info = validate(f);
  v.size = f.size();
  v.fd = f.release_fd();
  return v;
}

ElfInfo validate_elf(const fs::path& file, const util::FileSystem& files) {
  ElfFile f(file, files);
  return validate(f);
}

}  // namespace slimbuild::trace
