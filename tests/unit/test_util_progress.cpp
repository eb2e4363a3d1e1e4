// The layer's progress line with a fake clock and a recording writer: the
// text (bytes, total, rate, ETA), at most one redraw per 100 ms, nothing for
// work shorter than that, the line erased at the end; and write_layer feeding
// a sink the rootfs's total first and exactly that many bytes afterwards.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/util/progress.hpp>

#include "unit/test_layer_support.hpp"

using namespace slimbuild;
using namespace std::chrono_literals;

namespace {

struct FakeTerminal {
  std::chrono::steady_clock::time_point now{};
  std::vector<std::string> writes;
  util::TerminalProgress make(util::ProgressStyle style = util::ProgressStyle::Redraw) {
    return util::TerminalProgress(
        "layer", style, [this](std::string_view s) { writes.emplace_back(s); }, [this] { return now; });
  }
};

}  // namespace

TEST_CASE("util: progress text shows bytes, total, rate and ETA") {
  CHECK(util::format_progress("layer", 0, 0, 0) == "layer 0 B");
  CHECK(util::format_progress("layer", 512, 0, 0) == "layer 512 B");
  CHECK(util::format_progress("layer", 10 << 20, 40 << 20, 0) == "layer 10.0 MiB / 40.0 MiB");
  CHECK(util::format_progress("layer", 10 << 20, 40 << 20, 2.0) == "layer 10.0 MiB / 40.0 MiB, 5.0 MiB/s, ETA 6s");
  CHECK(util::format_progress("layer", 1 << 20, 0, 0.5) == "layer 1.0 MiB, 2.0 MiB/s");
  CHECK(util::format_progress("layer", 40 << 20, 40 << 20, 4.0) == "layer 40.0 MiB / 40.0 MiB, 10.0 MiB/s");
  // Minutes and hours once the ETA is long.
  CHECK(util::format_progress("layer", 1 << 20, 100ull << 20, 1.0) == "layer 1.0 MiB / 100.0 MiB, 1.0 MiB/s, ETA 1m39s");
  CHECK(util::format_progress("layer", 1 << 10, 5ull << 30, 1.0).ends_with("ETA 1456h21m"));
}

TEST_CASE("util: the progress line is redrawn at most every 100 ms and cleared at the end") {
  FakeTerminal t;
  {
    auto p = t.make();
    p.start(4 << 20);
    p.advance(1 << 20);
    t.now += 50ms;
    p.advance(1 << 20);
    CHECK(t.writes.empty());  // nothing in the first interval
    t.now += 50ms;
    p.advance(1 << 20);
    REQUIRE(t.writes.size() == 1);
    CHECK(t.writes[0] == "\rlayer 3.0 MiB / 4.0 MiB, 30.0 MiB/s, ETA 1s\x1b[K");
    for (int i = 0; i < 9; ++i) {  // 90 ms more in small steps: no redraw
      t.now += 10ms;
      p.advance(1);
    }
    CHECK(t.writes.size() == 1);
    t.now += 10ms;
    p.advance(1);
    CHECK(t.writes.size() == 2);
    p.finish();
    REQUIRE(t.writes.size() == 3);
    CHECK(t.writes[2] == "\r\x1b[K");
    p.finish();  // only once
    CHECK(t.writes.size() == 3);
  }
  CHECK(t.writes.size() == 3);  // the destructor has nothing left to clear

  FakeTerminal quick;
  {
    auto p = quick.make();
    p.start(100);
    p.advance(100);
    quick.now += 20ms;
    p.finish();
  }
  CHECK(quick.writes.empty());  // short work leaves no trace at all

  FakeTerminal abandoned;
  {
    auto p = abandoned.make();
    p.start(100);
    abandoned.now += 200ms;
    p.advance(10);
  }
  REQUIRE(abandoned.writes.size() == 2);
  CHECK(abandoned.writes[1] == "\r\x1b[K");  // cleared even when nobody called finish()
}

TEST_CASE("util: in a log (not a terminal) progress is a plain line at most once a second") {
  FakeTerminal t;
  {
    auto p = t.make(util::ProgressStyle::Lines);
    p.start(10 << 20);
    for (int i = 0; i < 25; ++i) {  // 2.5 s in 100 ms steps, 256 KiB each
      t.now += 100ms;
      p.advance(256 << 10);
    }
    p.finish();
  }
  REQUIRE(t.writes.size() == 2);  // at 1 s and 2 s; nothing to erase afterwards
  CHECK(t.writes[0] == "slimbuild: layer 2.5 MiB / 10.0 MiB, 2.5 MiB/s, ETA 3s\n");
  CHECK(t.writes[1] == "slimbuild: layer 5.0 MiB / 10.0 MiB, 2.5 MiB/s, ETA 2s\n");
}

namespace {
struct RecordingSink final : util::ProgressSink {
  std::vector<uint64_t> starts;
  uint64_t advanced = 0;
  int finished = 0;
  void start(uint64_t total) override { starts.push_back(total); }
  void advance(uint64_t bytes) override { advanced += bytes; }
  void finish() override { ++finished; }
};
}  // namespace

TEST_CASE("layer: write_layer reports the rootfs's file bytes to its progress sink") {
  util::TempDir tmp("progress-test");
  layer_test::Rootfs r = layer_test::sample_rootfs(tmp.path() / "src");
  uint64_t total = 0;
  for (const auto& [path, e] : r.entries())
    if (e.type == rootfs::EntryType::File) total += e.size;
  REQUIRE(total > 0);
  RecordingSink sink;
  layer::LayerOptions opt;
  opt.progress = &sink;
  layer::LayerResult with = layer::write_layer(r, tmp.path() / "a.tar.gz", opt);
  CHECK(sink.starts == std::vector<uint64_t>{total});
  CHECK(sink.advanced == total);
  CHECK(sink.finished == 1);
  // The sink never changes the bytes.
  opt.progress = nullptr;
  CHECK(layer::write_layer(r, tmp.path() / "b.tar.gz", opt).digest == with.digest);
}
