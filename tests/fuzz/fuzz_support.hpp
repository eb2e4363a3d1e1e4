// Shared by the libFuzzer targets: the rule every target enforces. An input
// may be refused with slimbuild::Error (a message for the user); any other
// exception escaping is what the CLI would print as "internal error", so it
// aborts and libFuzzer records the input as a finding. Crashes, leaks and
// undefined behaviour are caught by ASan/UBSan, which the targets run under.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <slimbuild/util/error.hpp>

namespace slimbuild::fuzz {

template <typename F>
void expect_only_errors(F&& body) {
  try {
    body();
  } catch (const Error&) {
    // a clear, expected refusal
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: would be \"internal error: %s\"\n", e.what());
    std::abort();
  }
}

// A scratch directory private to this fuzzing process, emptied per input.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "slimbuild-fuzz.XXXXXX").string();
    if (!::mkdtemp(templ.data())) std::abort();
    std::atexit([] { std::error_code ec; std::filesystem::remove_all(scratch_dir(), ec); });
    return std::filesystem::path(templ);
  }();
  return dir;
}

inline void fresh_scratch() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(scratch_dir(), ec)) std::filesystem::remove_all(e.path(), ec);
}

inline void write_bytes(const std::filesystem::path& file, std::string_view bytes) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace slimbuild::fuzz
