// util::human_size: the one way sizes are shown in messages (build summary,
// push/pull progress and errors).
#include <catch2/catch.hpp>

#include <slimbuild/util/human_size.hpp>

using slimbuild::util::human_size;

TEST_CASE("util: human_size prints exact bytes, then one decimal in powers of 1024") {
  CHECK(human_size(0) == "0 B");
  CHECK(human_size(1023) == "1023 B");
  CHECK(human_size(1024) == "1.0 KiB");
  CHECK(human_size(1536) == "1.5 KiB");
  CHECK(human_size(12u * 1024 * 1024 + 300 * 1024) == "12.3 MiB");
  CHECK(human_size(3ull << 30) == "3.0 GiB");
  CHECK(human_size(2ull << 40) == "2.0 TiB");
  CHECK(human_size(5000ull << 40) == "5000.0 TiB");  // no unit past TiB
}
