// The trace stage's ElfMemo hook: a memo that knows a file answers instead
// of the parser (a file that is not even an ELF comes back with the memo's
// facts), every parse is offered to the memo, the loader's search still
// runs on every trace, and a memo hit for every object means no parse at all.
#include "unit/test_trace_fixtures.hpp"

#include <map>

#include <slimbuild/trace/elf_memo.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>

using namespace trace_fixtures;
using slimbuild::trace::ElfInfo;
using slimbuild::trace::ElfMemo;
using slimbuild::util::TempDir;

namespace {

// Remembers everything; counts what it was asked and told.
struct CountingMemo : ElfMemo {
  std::map<std::string, ElfInfo> facts;
  int finds = 0, hits = 0, parses = 0;
  std::optional<ElfInfo> find(const fs::path& file, const struct stat&) override {
    ++finds;
    auto it = facts.find(file.string());
    if (it == facts.end()) return std::nullopt;
    ++hits;
    return it->second;
  }
  void remember(const fs::path& file, const struct stat&, const ElfInfo& info) override {
    ++parses;  // called exactly once per parse
    facts[file.string()] = info;
  }
};

}  // namespace

TEST_CASE("trace: a memo hit is not parsed again, a miss is parsed and offered to the memo") {
  TempDir tmp("elf-memo");
  fs::path root = fs::canonical(tmp.path());
  shared_lib(root / "lib" / "libfoo.so", "libfoo.so", "foo");
  fs::path exe = root / "bin" / "app";
  executable(exe, "foo", {"-L" + (root / "lib").string(), "-lfoo", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib"});

  CountingMemo memo;
  slimbuild::trace::TraceOptions o;
  o.elf_memo = &memo;
  auto first = slimbuild::trace::trace_binary(exe, o);
  // The binary, the interpreter, the libraries, and candidates of another ABI skipped on the way.
  const int objects = memo.parses;
  CHECK(objects >= 2 + static_cast<int>(first.libraries.size()));
  CHECK(memo.hits == 0);
  CHECK(memo.facts.count(exe.string()));

  memo.parses = memo.hits = 0;
  auto second = slimbuild::trace::trace_binary(exe, o);
  CHECK(memo.parses == 0);
  CHECK(memo.hits == objects);
  REQUIRE(second.libraries.size() == first.libraries.size());
  for (size_t i = 0; i < first.libraries.size(); ++i) CHECK(second.libraries[i].host_path == first.libraries[i].host_path);

  SECTION("the search still runs: a library that appears in an earlier RUNPATH directory wins") {
    fs::path exe2 = root / "bin" / "app2";
    executable(exe2, "foo", {"-L" + (root / "lib").string(), "-lfoo", "-Wl,--enable-new-dtags",
                             "-Wl,-rpath,$ORIGIN/../early:$ORIGIN/../lib"});
    auto before = slimbuild::trace::trace_binary(exe2, o);
    shared_lib(root / "early" / "libfoo.so", "libfoo.so", "foo");
    auto after = slimbuild::trace::trace_binary(exe2, o);
    bool early = false;
    for (const auto& l : after.libraries) early |= l.host_path == root / "early" / "libfoo.so";
    CHECK(early);
  }
}

TEST_CASE("trace: read_elf_memoised answers from the memo without reading the file") {
  TempDir tmp("elf-memo");
  fs::path text = tmp.path() / "not-an-elf";
  write_text(text, "#!/bin/sh\n");
  CHECK_THROWS_AS(slimbuild::trace::read_elf(text), slimbuild::Error);
  CountingMemo memo;
  // Not an ELF: the error is not memoised, and the memo is asked each time.
  CHECK_THROWS_AS(slimbuild::trace::read_elf_memoised(text, &memo), slimbuild::Error);
  CHECK(memo.parses == 0);
  ElfInfo fake;
  fake.soname = "libfrom-the-memo.so";
  memo.facts[fs::absolute(text).lexically_normal().string()] = fake;
  CHECK(slimbuild::trace::read_elf_memoised(text, &memo).soname == "libfrom-the-memo.so");
  CHECK(memo.parses == 0);
  // Without a memo, the file is read.
  CHECK_THROWS_AS(slimbuild::trace::read_elf_memoised(text, nullptr), slimbuild::Error);
}
