// Fuzz target: ELF validation (our own bounds checks before LIEF sees the
// file) and, for what passes, the loader's search: the input is the binary
// and also every library it could find in a scratch sysroot (the dynamic
// loader path and libc), so DT_NEEDED, RPATH/RUNPATH and PT_INTERP of
// arbitrary bytes are followed.
#include "trace/elf_validate.hpp"
#include <slimbuild/trace/loader.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slimbuild;
  fuzz::fresh_scratch();
  const auto root = fuzz::scratch_dir();
  const std::string_view bytes = fuzz::as_view(data, size);
  const auto binary = root / "app" / "prog";
  fuzz::write_bytes(binary, bytes);
  fuzz::expect_only_errors([&] {
    (void)trace::validate_elf(binary);
    for (const char* lib : {"lib64/ld-linux-x86-64.so.2", "lib/x86_64-linux-gnu/libc.so.6", "lib/libx.so"})
      fuzz::write_bytes(root / lib, bytes);
    trace::TraceOptions options;
    options.sysroot = root;
    options.binary_image_path = "/app/prog";
    (void)trace::trace_binary(binary, options);
  });
  return 0;
}
