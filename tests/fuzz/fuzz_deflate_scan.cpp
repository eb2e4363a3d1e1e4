// Fuzz target, differential: layer::scan_deflate against zlib's inflate on
// any bytes. Both must accept the same streams and, where they do, agree on
// where the final block starts, where the stream ends and how much it
// inflates to; any disagreement aborts, so libFuzzer keeps the input.
#include <cstdio>
#include <cstdlib>

#include "layer/deflate_scan.hpp"
#include "support/inflate_oracle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto ours = slimbuild::layer::scan_deflate(data, size);
  auto zlib = slimbuild::testing::inflate_extent(data, size);
  bool same = ours.has_value() == zlib.has_value() &&
              (!ours || (ours->final_block == zlib->final_block && ours->end == zlib->end &&
                         ours->output == zlib->output));
  if (!same) {
    std::fprintf(stderr, "fuzz: scan_deflate %s, inflate %s\n", ours ? "accepts" : "refuses",
                 zlib ? "accepts" : "refuses");
    std::abort();
  }
  return 0;
}
