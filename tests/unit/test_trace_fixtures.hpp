// Test fixtures for the trace stage: real ELF files compiled at test time
// with the system gcc into a temporary directory, plus small helpers to
// patch bytes of an ELF64 little-endian file (the host format) for the
// malformed-input and wrong-architecture cases.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/process.hpp>

namespace trace_fixtures {

namespace fs = std::filesystem;

inline void write_text(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

inline std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

// gcc with `args`, compiling `source` (C) written next to `output`.
inline void gcc(const std::string& source, const fs::path& output, std::vector<std::string> args) {
  fs::create_directories(output.parent_path());
  fs::path src = output;
  src += ".c";
  write_text(src, source);
  std::vector<std::string> argv{"gcc", "-O1", "-o", output.string(), src.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = slimbuild::util::run_process(argv);
  INFO(r.err);
  REQUIRE(r.ok());
  fs::remove(src);
}

// A shared library exporting `int <fn>()`, optionally calling `calls`.
inline void shared_lib(const fs::path& output, const std::string& soname, const std::string& fn,
                       const std::string& calls = "", std::vector<std::string> args = {}) {
  std::string src = calls.empty() ? "int " + fn + "(void){return 1;}\n"
                                  : "int " + calls + "(void);\nint " + fn + "(void){return " + calls + "()+1;}\n";
  args.insert(args.begin(), {"-shared", "-fPIC", "-Wl,-soname," + soname});
  gcc(src, output, args);
}

// An executable whose main returns `calls`() (or 0).
inline void executable(const fs::path& output, const std::string& calls, std::vector<std::string> args) {
  std::string src = calls.empty() ? "int main(void){return 0;}\n"
                                  : "int " + calls + "(void);\nint main(void){return " + calls + "();}\n";
  gcc(src, output, args);
}

// Little-endian field access for patching ELF64 headers in tests.
template <typename T>
T get_le(const std::string& b, size_t off) {
  T v{};
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}
template <typename T>
void put_le(std::string& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}

// Offset of the first program header of `type` in an ELF64 image.
inline size_t phdr_offset(const std::string& elf, uint32_t type) {
  uint64_t phoff = get_le<uint64_t>(elf, 32);
  uint16_t phnum = get_le<uint16_t>(elf, 56);
  for (uint16_t i = 0; i < phnum; ++i) {
    size_t p = phoff + 56u * i;
    if (get_le<uint32_t>(elf, p) == type) return p;
  }
  FAIL("no program header of type " << type);
  return 0;
}

}  // namespace trace_fixtures
