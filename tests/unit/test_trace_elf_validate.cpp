// The bounds-checked reader on ELF flavours this host cannot compile:
// 32-bit and big-endian files (armhf, s390x, ppc64 sysroots) built byte by
// byte here, so the class- and endian-dependent offsets are exercised.
#include "unit/test_trace_fixtures.hpp"

#include <random>

#include "trace/arm_attributes.hpp"
#include <slimbuild/trace/elf_reader.hpp>
#include <slimbuild/trace/platform.hpp>
#include <slimbuild/util/error.hpp>

using namespace trace_fixtures;
using slimbuild::trace::ElfClass;
using slimbuild::trace::ElfInfo;
using slimbuild::util::TempDir;

namespace {

// A minimal executable: one PT_LOAD covering the file, PT_INTERP, PT_DYNAMIC
// with two DT_NEEDED, a DT_RUNPATH and a DT_SONAME.
class ElfBuilder {
 public:
  ElfBuilder(bool is64, bool little, uint16_t machine) : is64_(is64), little_(little), machine_(machine) {}

  // Adds a .ARM.attributes section (and a section header table for it).
  ElfBuilder& arm_attributes(std::string section) {
    arm_attributes_ = std::move(section);
    return *this;
  }

  std::string build() const {
    const size_t eh = is64_ ? 64 : 52, ph = is64_ ? 56 : 32, dyn = is64_ ? 16 : 8;
    const std::string interp = "/lib/ld-test.so.1";
    static const char kStrtab[] = "\0libc.so.6\0libm.so.6\0$ORIGIN/../lib:/opt/lib\0libtest.so.1";
    const std::string strtab(kStrtab, sizeof kStrtab);  // offsets 1, 11, 21, 45
    const uint64_t base = 0x10000;
    size_t interp_off = eh + 3 * ph, strtab_off = interp_off + interp.size() + 1, dyn_off = strtab_off + strtab.size();
    dyn_off = (dyn_off + 7) & ~size_t{7};
    std::vector<std::pair<int64_t, uint64_t>> entries{{1, 1}, {1, 11}, {29, 21}, {14, 45},
                                                      {5, base + strtab_off}, {10, strtab.size()}, {0, 0}};
    size_t total = dyn_off + entries.size() * dyn;

    std::string b(total, '\0');
    b.replace(0, 4, "\x7f" "ELF");
    b[4] = is64_ ? 2 : 1;
    b[5] = little_ ? 1 : 2;
    b[6] = 1;
    put(b, 16, 2, 2);  // ET_EXEC
    put(b, 18, 2, machine_);
    put(b, 20, 4, 1);
    put(b, is64_ ? 32 : 28, is64_ ? 8 : 4, eh);  // e_phoff
    put(b, is64_ ? 36 + 12 : 36, 4, 0x400);      // e_flags: ARM hard float when machine is ARM
    put(b, is64_ ? 52 : 40, 2, eh);
    put(b, is64_ ? 54 : 42, 2, ph);
    put(b, is64_ ? 56 : 44, 2, 3);
    phdr(b, eh, 1, 0, base, total);
    phdr(b, eh + ph, 3, interp_off, base + interp_off, interp.size() + 1);
    phdr(b, eh + 2 * ph, 2, dyn_off, base + dyn_off, entries.size() * dyn);
    b.replace(interp_off, interp.size(), interp);
    b.replace(strtab_off, strtab.size(), strtab);
    for (size_t i = 0; i < entries.size(); ++i) {
      put(b, dyn_off + i * dyn, dyn / 2, static_cast<uint64_t>(entries[i].first));
      put(b, dyn_off + i * dyn + dyn / 2, dyn / 2, entries[i].second);
    }
    if (!arm_attributes_.empty()) {
      const size_t sh = is64_ ? 64 : 40, attrs_off = b.size(), shoff = (attrs_off + arm_attributes_.size() + 7) & ~size_t{7};
      b += arm_attributes_;
      b.resize(shoff + 2 * sh, '\0');  // section 0 is the null section
      put(b, is64_ ? 40 : 32, is64_ ? 8 : 4, shoff);
      put(b, is64_ ? 58 : 46, 2, sh);
      put(b, is64_ ? 60 : 48, 2, 2);
      put(b, shoff + sh + 4, 4, 0x70000003);  // SHT_ARM_ATTRIBUTES
      put(b, shoff + sh + (is64_ ? 24 : 16), is64_ ? 8 : 4, attrs_off);
      put(b, shoff + sh + (is64_ ? 32 : 20), is64_ ? 8 : 4, arm_attributes_.size());
    }
    return b;
  }

 private:
  void put(std::string& b, size_t off, size_t width, uint64_t v) const {
    for (size_t i = 0; i < width; ++i) b[off + (little_ ? i : width - 1 - i)] = static_cast<char>(v >> (8 * i));
  }
  void phdr(std::string& b, size_t at, uint32_t type, uint64_t off, uint64_t vaddr, uint64_t size) const {
    put(b, at, 4, type);
    if (is64_) {
      put(b, at + 8, 8, off);
      put(b, at + 16, 8, vaddr);
      put(b, at + 32, 8, size);
      put(b, at + 40, 8, size);
    } else {
      put(b, at + 4, 4, off);
      put(b, at + 8, 4, vaddr);
      put(b, at + 16, 4, size);
      put(b, at + 20, 4, size);
    }
  }
  bool is64_, little_;
  uint16_t machine_;
  std::string arm_attributes_;
};

// 'A', one "aeabi" subsection holding one file-scope (tag 1) list of `attrs`.
std::string aeabi_section(const std::string& attrs) {
  auto u32le = [](uint32_t v) { return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; };
  std::string file = "\x01" + u32le(static_cast<uint32_t>(5 + attrs.size())) + attrs;
  std::string sub = std::string("aeabi", 6) + file;
  return "A" + u32le(static_cast<uint32_t>(4 + sub.size())) + sub;
}

}  // namespace

TEST_CASE("trace: 32-bit and big-endian ELF files are read with the right layout") {
  TempDir tmp("trace-test");
  struct Flavour {
    bool is64, little;
    uint16_t machine;
    const char* platform;
  };
  for (Flavour fl : {Flavour{true, false, 22, "s390x"}, Flavour{false, true, 40, "arm/v7"},
                     Flavour{false, false, 8, "mips"}, Flavour{true, true, 183, "arm64/v8"}}) {
    INFO(fl.platform);
    fs::path f = tmp.path() / fl.platform;
    fs::create_directories(f.parent_path());
    write_bytes(f, ElfBuilder(fl.is64, fl.little, fl.machine).build());
    ElfInfo e = slimbuild::trace::read_elf(f);  // our checks, then LIEF on the same file
    CHECK(e.elf_class == (fl.is64 ? ElfClass::Elf64 : ElfClass::Elf32));
    CHECK(e.little_endian == fl.little);
    CHECK(e.machine == fl.machine);
    CHECK(e.interpreter == "/lib/ld-test.so.1");
    CHECK(e.needed == std::vector<std::string>{"libc.so.6", "libm.so.6"});
    CHECK(e.runpath == std::vector<std::string>{"$ORIGIN/../lib", "/opt/lib"});
    CHECK(e.soname == "libtest.so.1");
    auto p = slimbuild::trace::oci_platform(e);
    CHECK(p.architecture + (p.variant.empty() ? "" : "/" + p.variant) == fl.platform);

    // Cut inside the dynamic section: must be reported, not read past the end.
    std::string bytes = read_bytes(f);
    write_bytes(f, bytes.substr(0, bytes.size() - 4));
    CHECK_THROWS_WITH(slimbuild::trace::read_elf(f), Catch::Contains("is truncated"));
  }
}

TEST_CASE("trace: the ARM architecture version comes from the build attributes") {
  TempDir tmp("trace-test");
  auto platform_of = [&](const std::string& attrs) {
    fs::path f = tmp.path() / "arm";
    write_bytes(f, ElfBuilder(false, true, 40).arm_attributes(attrs.empty() ? "" : aeabi_section(attrs)).build());
    auto p = slimbuild::trace::oci_platform(slimbuild::trace::read_elf(f));
    return p.architecture + "/" + p.variant;
  };
  // Raspberry Pi OS: hard float (e_flags) but ARMv6 (Tag_CPU_name "6KZ", Tag_CPU_arch 7).
  CHECK(platform_of(std::string("\x05" "6KZ\0" "\x06\x07" "\x08\x01", 9)) == "arm/v6");
  CHECK(platform_of(std::string("\x05" "7-A\0" "\x06\x0a", 7)) == "arm/v7");
  CHECK(platform_of(std::string("\x04" "cortex-a53\0" "\x43" "2.09\0" "\x06\x0e", 20)) == "arm/v8");
  CHECK(platform_of(std::string("\x08\x01\x09\x02", 4)) == "arm/v7");  // no Tag_CPU_arch: float ABI decides
  CHECK(platform_of("") == "arm/v7");                                      // no attributes at all

  // Malformed sections are "unknown", never a crash or an overread.
  using slimbuild::trace::arm_cpu_arch;
  std::string good = aeabi_section(std::string("\x05" "6KZ\0" "\x06\x07", 7));
  CHECK(arm_cpu_arch(good, true) == 7u);
  CHECK_FALSE(arm_cpu_arch(good.substr(0, good.size() - 1), true));
  CHECK_FALSE(arm_cpu_arch("A\xff\xff\xff\x7f", true));
  CHECK_FALSE(arm_cpu_arch(aeabi_section(std::string("\x05" "no-terminator", 14)), true));
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string m = good;
    m[rng() % m.size()] = static_cast<char>(rng());
    if (i % 3 == 0) m.resize(rng() % m.size());
    auto v = arm_cpu_arch(m, true);
    CHECK((!v || *v < 64));
  }
}
