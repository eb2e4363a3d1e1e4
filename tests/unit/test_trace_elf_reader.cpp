// read_elf on real and deliberately broken files: every malformed input must
// be an Error that names the file and the problem (never "static", never a
// crash), and a bounded random-mutation loop over a small real ELF must only
// ever parse or throw slimbuild::Error. Also the OCI platform mapping.
#include "unit/test_trace_fixtures.hpp"

#include <random>

#include <slimbuild/trace/elf_reader.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/trace/platform.hpp>
#include <slimbuild/util/error.hpp>

using namespace trace_fixtures;
using slimbuild::Error;
using slimbuild::trace::ElfClass;
using slimbuild::trace::ElfInfo;
using slimbuild::trace::oci_platform;
using slimbuild::trace::read_elf;
using slimbuild::util::TempDir;

namespace {

constexpr uint32_t kPtDynamic = 2;

std::string read_error(const fs::path& file) {
  try {
    read_elf(file);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A small dynamically linked executable, the basis for patched copies.
fs::path small_elf(const TempDir& tmp) {
  fs::path exe = tmp.path() / "small";
  if (!fs::exists(exe)) executable(exe, "", {"-Os", "-s"});
  return exe;
}

fs::path patched(const TempDir& tmp, const std::string& name, const std::function<void(std::string&)>& patch) {
  std::string bytes = read_bytes(small_elf(tmp));
  patch(bytes);
  fs::path out = tmp.path() / name;
  write_bytes(out, bytes);
  return out;
}

}  // namespace

TEST_CASE("trace: read_elf reads a real executable") {
  ElfInfo curl = read_elf("/usr/bin/curl");
  CHECK(curl.elf_class == ElfClass::Elf64);
  CHECK(curl.little_endian);
  CHECK(curl.machine == 62);
  CHECK(curl.interpreter == "/lib64/ld-linux-x86-64.so.2");
  CHECK(std::find(curl.needed.begin(), curl.needed.end(), "libcurl.so.4") != curl.needed.end());
  // Oracle for our PT_NOTE parsing: binutils' readelf.
  auto notes = slimbuild::util::run_process({"readelf", "-n", "/usr/bin/curl"});
  REQUIRE(notes.ok());
  REQUIRE(curl.build_id.size() == 40);
  CHECK(notes.out.find("Build ID: " + curl.build_id) != std::string::npos);
  CHECK_FALSE(curl.is_static());
  CHECK(slimbuild::trace::has_elf_magic("/usr/bin/curl"));
  CHECK_FALSE(slimbuild::trace::has_elf_magic(SLIMBUILD_SOURCE_DIR "/CMakeLists.txt"));

  ElfInfo libcurl = read_elf("/usr/lib/x86_64-linux-gnu/libcurl.so.4");
  CHECK(libcurl.soname == "libcurl.so.4");
  CHECK(libcurl.interpreter.empty());
}

TEST_CASE("trace: non-ELF inputs are named for what they are") {
  TempDir tmp("trace-test");
  fs::path empty = tmp.path() / "empty", script = tmp.path() / "run.sh", text = tmp.path() / "notes.txt";
  write_text(empty, "");
  write_text(script, "#!/bin/sh\necho hi\n");
  write_text(text, "hello world\nthis is text\n");

  CHECK(read_error(empty) == empty.string() + " is empty, not an ELF binary");
  CHECK(read_error(script) == script.string() + " is a script (#!/bin/sh), not an ELF binary: slimbuild packages compiled binaries");
  CHECK(read_error(text) == text.string() + " is a text file, not an ELF binary");
  CHECK(read_error(tmp.path()) == tmp.path().string() + " is a directory, not an ELF binary");
  CHECK(read_error(tmp.path() / "nope").find("does not exist") != std::string::npos);
  write_text(tmp.path() / "blob", std::string("\x4d\x5a\x90\x00\x03\x00", 6));
  CHECK(read_error(tmp.path() / "blob").find("starts with bytes 4d 5a 90 00") != std::string::npos);
}

TEST_CASE("trace: a truncated ELF is an error, never a static binary") {
  TempDir tmp("trace-test");
  fs::path cut = tmp.path() / "curl-3000";
  write_bytes(cut, read_bytes("/usr/bin/curl").substr(0, 3000));
  std::string msg = read_error(cut);
  CHECK(msg.find(cut.string() + " is truncated: ") == 0);
  CHECK(msg.find("but the file has 3000 bytes") != std::string::npos);

  fs::path header_only = tmp.path() / "header-only";
  write_bytes(header_only, read_bytes("/usr/bin/curl").substr(0, 40));
  CHECK(read_error(header_only) == header_only.string() + " is truncated: the ELF header ends at byte 64 but the file has 40 bytes");
}

TEST_CASE("trace: malformed headers are rejected with the reason") {
  TempDir tmp("trace-test");
  SECTION("program header table beyond the end of the file") {
    fs::path f = patched(tmp, "phoff", [](std::string& b) { put_le<uint64_t>(b, 32, 1u << 30); });
    std::string msg = read_error(f);
    CHECK(msg.find("is truncated: program header table") != std::string::npos);
  }
  SECTION("PT_DYNAMIC beyond the end of the file") {
    fs::path f = patched(tmp, "dyn", [](std::string& b) { put_le<uint64_t>(b, phdr_offset(b, kPtDynamic) + 8, b.size() - 8); });
    CHECK(read_error(f).find("is truncated: PT_DYNAMIC segment") != std::string::npos);
  }
  SECTION("DT_NEEDED string offset beyond the string table") {
    fs::path f = patched(tmp, "strtab", [](std::string& b) {
      uint64_t dyn = get_le<uint64_t>(b, phdr_offset(b, kPtDynamic) + 8);
      for (uint64_t p = dyn;; p += 16) {
        int64_t tag = get_le<int64_t>(b, p);
        REQUIRE(tag != 0);
        if (tag == 1) {  // DT_NEEDED
          put_le<uint64_t>(b, p + 8, 0x7fffffff);
          break;
        }
      }
    });
    CHECK(read_error(f).find("DT_NEEDED string offset 2147483647 is beyond the dynamic string table") != std::string::npos);
  }
  SECTION("bad identification bytes") {
    CHECK(read_error(patched(tmp, "class", [](std::string& b) { b[4] = 7; })).find("unknown ELF class 7") != std::string::npos);
    CHECK(read_error(patched(tmp, "data", [](std::string& b) { b[5] = 0; })).find("unknown ELF data encoding") != std::string::npos);
    CHECK(read_error(patched(tmp, "version", [](std::string& b) { b[6] = 2; })).find("unknown ELF version") != std::string::npos);
  }
  SECTION("wrong program header entry size") {
    fs::path f = patched(tmp, "phentsize", [](std::string& b) { put_le<uint16_t>(b, 54, 12); });
    CHECK(read_error(f).find("e_phentsize is 12, expected 56") != std::string::npos);
  }
  SECTION("no program headers at all") {
    fs::path f = patched(tmp, "nophdr", [](std::string& b) { put_le<uint16_t>(b, 56, 0); });
    CHECK(read_error(f).find("it has no program headers") != std::string::npos);
  }
  SECTION("a real header in front of garbage has no loadable segment") {
    // Program headers that are noise: none is PT_LOAD, PT_INTERP or
    // PT_DYNAMIC. Without the PT_LOAD rule this would pass as "static".
    std::string bytes = read_bytes("/usr/bin/curl").substr(0, 64);
    uint32_t x = 12345;
    for (int i = 0; i < 4096; ++i) {
      x = x * 1103515245u + 12345u;
      char c = static_cast<char>(x >> 16);
      bytes.push_back(c == 1 ? 0 : c);  // keep p_type low bytes away from PT_LOAD
    }
    fs::path f = tmp.path() / "garbage";
    write_bytes(f, bytes);
    CHECK(read_error(f).find("no loadable (PT_LOAD) segment") != std::string::npos);
  }
  SECTION("PT_LOAD whose offset and address disagree modulo the alignment") {
    fs::path f = patched(tmp, "misaligned", [](std::string& b) {
      uint64_t load = phdr_offset(b, 1);  // PT_LOAD
      put_le<uint64_t>(b, load + 16, get_le<uint64_t>(b, load + 16) + 8);  // p_vaddr
    });
    CHECK(read_error(f).find("is not aligned") != std::string::npos);
  }
  SECTION("section header table or a section beyond the end of the file") {
    // LIEF 0.9 would grow a buffer to the end of each listed section (the
    // fuzz target's slow input: 4 KiB claiming gigabytes); ours refuses first.
    fs::path table = patched(tmp, "shoff", [](std::string& b) { put_le<uint64_t>(b, 40, b.size() - 64); });
    CHECK(read_error(table).find("is truncated: section header table") != std::string::npos);
    fs::path section = patched(tmp, "shsize", [](std::string& b) {
      uint64_t shoff = get_le<uint64_t>(b, 40);
      uint16_t shnum = get_le<uint16_t>(b, 60);
      REQUIRE(shnum > 2);
      put_le<uint64_t>(b, shoff + 64 + 24, 0x9300000);  // section 1: sh_offset far past the end
      put_le<uint32_t>(b, shoff + 64 + 4, 1);          // SHT_PROGBITS
    });
    CHECK(read_error(section).find("section 1 (bytes 154140672 to") != std::string::npos);
    // The same with SHT_NULL entries (the campaign's second slow input: all 27 were type 0).
    fs::path null_type = patched(tmp, "shnull", [](std::string& b) {
      uint64_t shoff = get_le<uint64_t>(b, 40);
      put_le<uint32_t>(b, shoff + 2 * 64 + 4, 0);           // section 2: SHT_NULL
      put_le<uint64_t>(b, shoff + 2 * 64 + 24, 0x2700000);  // offset past the end
      put_le<uint64_t>(b, shoff + 2 * 64 + 32, 0x2700000);  // and a size
    });
    CHECK(read_error(null_type).find("section 2 (bytes 40894464 to") != std::string::npos);
  }
  SECTION("relocatable object") {
    fs::path obj = tmp.path() / "x.o";
    gcc("int x;\n", obj, {"-c"});
    CHECK(read_error(obj).find("is an object file (.o)") != std::string::npos);
  }
}

TEST_CASE("trace: random mutations of a real ELF never crash the reader") {
  TempDir tmp("trace-test");
  const std::string original = read_bytes(small_elf(tmp));
  std::mt19937 rng(20240611);  // fixed seed: a failure is reproducible
  fs::path f = tmp.path() / "mutant";
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 400; ++i) {
    std::string b = original;
    // Headers, program headers and the dynamic section sit in the first pages.
    size_t span = std::min<size_t>(b.size(), i % 4 == 0 ? b.size() : 4096);
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips; ++k) b[rng() % span] = static_cast<char>(rng());
    if (i % 5 == 0) b.resize(rng() % b.size());
    write_bytes(f, b);
    try {
      read_elf(f);
      ++parsed;
      // Some of what still parses goes through the loader too: hostile
      // DT_NEEDED / RUNPATH strings must end in a result or an Error as well.
      if (parsed % 5 == 1) try {
          slimbuild::trace::trace_binary(f, {});
        } catch (const Error&) {
        }
    } catch (const Error&) {
      ++rejected;
    }
  }
  CHECK(parsed + rejected == 400);
  CHECK(rejected > 0);
  CHECK(parsed > 0);
}

TEST_CASE("trace: OCI platform of an ELF") {
  auto plat = [](uint16_t machine, ElfClass cls = ElfClass::Elf64, bool le = true, uint32_t flags = 0) {
    ElfInfo e;
    e.machine = machine;
    e.elf_class = cls;
    e.little_endian = le;
    e.flags = flags;
    auto p = oci_platform(e);
    return p.architecture + (p.variant.empty() ? "" : "/" + p.variant);
  };
  CHECK(plat(62) == "amd64");
  CHECK(plat(183) == "arm64/v8");
  CHECK(plat(40, ElfClass::Elf32, true, 0x05000400) == "arm/v7");
  CHECK(plat(40, ElfClass::Elf32, true, 0x05000200) == "arm/v5");
  CHECK(plat(3, ElfClass::Elf32) == "386");
  CHECK(plat(21) == "ppc64le");
  CHECK(plat(21, ElfClass::Elf64, false) == "ppc64");
  CHECK(plat(22, ElfClass::Elf64, false) == "s390x");
  CHECK(plat(243) == "riscv64");
  CHECK(plat(8, ElfClass::Elf32, false) == "mips");
  CHECK(plat(8, ElfClass::Elf64, true) == "mips64le");
  CHECK_THROWS_AS(plat(0x1234), Error);
  CHECK_THROWS_AS(plat(243, ElfClass::Elf32), Error);
  CHECK(plat(read_elf("/usr/bin/curl").machine) == "amd64");
}
