// The memos kept in the cache directory (pipeline/file_memos.hpp): a saved
// record is found by the next build for exactly the same stamp; a file with
// a new size, mtime, ctime or inode is a miss (so it is parsed or scanned
// again, counted through the trace and rootfs hooks); a file changed within
// a tick of the build's start is not recorded; and a damaged memo file (bad
// checksum, valid checksum over a wrong record, another format, garbage) is
// ignored without a crash or a wrong answer.
#include "unit/test_trace_fixtures.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

#include <slimbuild/rootfs/secret_memo.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/sha256.hpp>

#include "pipeline/file_memos.hpp"

using namespace trace_fixtures;
using slimbuild::pipeline::ElfFactsMemo;
using slimbuild::pipeline::SecretVerdictMemo;
using slimbuild::util::wall_clock_ns;
using slimbuild::util::TempDir;

namespace {

// A build that starts a minute from now: every file here counts as settled.
int64_t later() { return wall_clock_ns() + 60'000'000'000; }

struct stat stat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st;
}

// Counts the parses behind a real memo (remember follows each parse).
struct CountingElf : slimbuild::trace::ElfMemo {
  ElfFactsMemo& real;
  int parses = 0;
  explicit CountingElf(ElfFactsMemo& m) : real(m) {}
  std::optional<slimbuild::trace::ElfInfo> find(const fs::path& f, const struct stat& st) override { return real.find(f, st); }
  void remember(const fs::path& f, const struct stat& st, const slimbuild::trace::ElfInfo& i) override {
    ++parses;
    real.remember(f, st, i);
  }
};

struct CountingSecrets : slimbuild::rootfs::SecretMemo {
  SecretVerdictMemo& real;
  std::atomic<int> scans{0};  // the walk may remember from several threads
  explicit CountingSecrets(SecretVerdictMemo& m) : real(m) {}
  std::optional<std::optional<std::string>> find(const std::string& k, const struct stat& st) override { return real.find(k, st); }
  void remember(const std::string& k, const struct stat& st, const std::optional<std::string>& r) override {
    ++scans;
    real.remember(k, st, r);
  }
};

void set_mtime(const fs::path& p, const struct stat& like) {
  struct timespec times[2] = {like.st_atim, like.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, 0) == 0);
}

const std::string kPem = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\n";

}  // namespace

TEST_CASE("pipeline: ELF facts memo: saved, found again, missed after a change, never when fresh") {
  TempDir tmp("memo");
  fs::path root = fs::canonical(tmp.path());
  fs::path cache = root / "cache";
  fs::create_directories(cache);
  shared_lib(root / "lib" / "libfoo.so", "libfoo.so", "foo");
  fs::path exe = root / "bin" / "app";
  executable(exe, "foo", {"-L" + (root / "lib").string(), "-lfoo", "-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib"});
  auto trace = [&](slimbuild::trace::ElfMemo& memo) {
    slimbuild::trace::TraceOptions o;
    o.elf_memo = &memo;
    return slimbuild::trace::trace_binary(exe, o);
  };

  {
    ElfFactsMemo memo(cache, later());
    CountingElf counting(memo);
    trace(counting);
    CHECK(counting.parses >= 3);
    memo.save();
  }
  ElfFactsMemo memo(cache, later());
  CountingElf counting(memo);
  auto again = trace(counting);
  CHECK(counting.parses == 0);
  CHECK(again.binary.elf.runpath.empty());
  CHECK(again.binary.elf.rpath == std::vector<std::string>{"$ORIGIN/../lib"});

  SECTION("a library rebuilt with another DT_NEEDED and its old mtime is parsed again") {
    struct stat old = stat_of(root / "lib" / "libfoo.so");
    shared_lib(root / "lib" / "libbar.so", "libbar.so", "bar");
    shared_lib(root / "lib" / "libfoo.so.new", "libfoo.so", "foo", "bar", {"-L" + (root / "lib").string(), "-lbar"});
    fs::rename(root / "lib" / "libfoo.so.new", root / "lib" / "libfoo.so");  // a new inode
    set_mtime(root / "lib" / "libfoo.so", old);
    auto changed = trace(counting);
    CHECK(counting.parses == 2);  // libfoo, then libbar
    bool bar = false;
    for (const auto& l : changed.libraries) bar |= l.requested == "libbar.so";
    CHECK(bar);
  }
  SECTION("the same size and mtime in place (only ctime moves) is a miss") {
    fs::path lib = root / "lib" / "libfoo.so";
    struct stat old = stat_of(lib);
    std::string bytes = read_bytes(lib);
    write_bytes(lib, bytes);  // same inode, same size
    set_mtime(lib, old);
    struct stat now = stat_of(lib);
    REQUIRE(now.st_ino == old.st_ino);
    REQUIRE(now.st_size == old.st_size);
    CHECK_FALSE(memo.find(lib, now));
    CHECK(memo.find(lib, old));  // the record itself is still there, for its own stamp
  }
}

TEST_CASE("pipeline: memos do not record a file changed within a tick of the build's start") {
  TempDir tmp("memo");
  fs::path root = fs::canonical(tmp.path());
  fs::path file = root / "fresh.txt";
  write_text(file, "hello\n");
  SecretVerdictMemo memo(root, wall_clock_ns());  // the file was written just now
  memo.remember("k", stat_of(file), std::nullopt);
  CHECK_FALSE(memo.find("k", stat_of(file)));
  memo.save();
  CHECK_FALSE(fs::exists(root / "secret-scans"));
}

TEST_CASE("pipeline: secret verdict memo: a secret added with the same size and mtime is caught (ctime)") {
  TempDir tmp("memo");
  fs::path root = fs::canonical(tmp.path());
  fs::path file = root / "tree" / "notes.txt";
  const std::string padding(slimbuild::rootfs::kSecretMemoMinBytes, 'x');  // memoised from this size up
  write_text(file, padding + std::string(kPem.size(), 'x'));
  {
    SecretVerdictMemo memo(root, later());
    CountingSecrets counting(memo);
    CHECK_FALSE(slimbuild::rootfs::secret_reason_memoised(file, "notes.txt", -1, &counting));
    CHECK(counting.scans == 1);
    memo.save();
  }
  SecretVerdictMemo memo(root, later());
  CountingSecrets counting(memo);
  CHECK_FALSE(slimbuild::rootfs::secret_reason_memoised(file, "notes.txt", -1, &counting));
  CHECK(counting.scans == 0);

  struct stat old = stat_of(file);
  write_bytes(file, padding + kPem);
  set_mtime(file, old);
  REQUIRE(stat_of(file).st_size == old.st_size);
  auto why = slimbuild::rootfs::secret_reason_memoised(file, "notes.txt", -1, &counting);
  CHECK(counting.scans == 1);
  REQUIRE(why);
  CHECK(why->find("private key") != std::string::npos);
}

TEST_CASE("pipeline: a damaged memo file is ignored, record by record") {
  TempDir tmp("memo");
  fs::path root = fs::canonical(tmp.path());
  fs::path a = root / "a.txt", b = root / "b.txt";
  write_text(a, "a\n");
  write_text(b, "b\n");
  {
    SecretVerdictMemo memo(root, later());
    memo.remember("a", stat_of(a), std::nullopt);
    memo.remember("b", stat_of(b), std::string("contains a PEM private key block"));
    memo.save();
  }
  fs::path file = root / "secret-scans";
  std::string text = read_bytes(file);
  REQUIRE(text.find("\"a\"") != std::string::npos);

  SECTION("intact: both found") {
    SecretVerdictMemo memo(root, later());
    auto clean = memo.find("a", stat_of(a));
    REQUIRE(clean);
    CHECK_FALSE(*clean);
    CHECK(memo.find("b", stat_of(b)) == std::optional<std::optional<std::string>>("contains a PEM private key block"));
  }
  SECTION("a record edited under its checksum is a miss; the other still counts") {
    // b's verdict turned into "clean" would hide a secret: the checksum catches it.
    std::string edited = text;
    size_t at = edited.find("\"contains a PEM private key block\"");
    REQUIRE(at != std::string::npos);
    edited.replace(at, std::string("\"contains a PEM private key block\"").size(), "null");
    write_bytes(file, edited);
    SecretVerdictMemo memo(root, later());
    CHECK_FALSE(memo.find("b", stat_of(b)));
    CHECK(memo.find("a", stat_of(a)));
  }
  SECTION("a well-formed checksum over a record of the wrong shape is a miss") {
    std::string header = text.substr(0, text.find('\n') + 1);
    std::string bad1 = R"(["b",1,2])", bad2 = R"({"b":true})", bad3 = "not json";
    write_bytes(file, header + slimbuild::util::sha256_hex(bad1) + " " + bad1 + "\n" +
                          slimbuild::util::sha256_hex(bad2) + " " + bad2 + "\n" +
                          slimbuild::util::sha256_hex(bad3) + " " + bad3 + "\n");
    SecretVerdictMemo memo(root, later());
    CHECK_FALSE(memo.find("b", stat_of(b)));
  }
  SECTION("another format or version line: nothing is trusted") {
    write_bytes(file, "slimbuild-memo v0 secret-scans\n" + text.substr(text.find('\n') + 1));
    SecretVerdictMemo memo(root, later());
    CHECK_FALSE(memo.find("a", stat_of(a)));
  }
  SECTION("garbage and truncation do not crash") {
    write_bytes(file, text.substr(0, text.size() / 2) + std::string("\0\xff\n\n x", 6));
    SecretVerdictMemo memo(root, later());
    CHECK_FALSE(memo.find("b", stat_of(b)));
    memo.remember("b", stat_of(b), std::nullopt);  // and it can be rewritten
    memo.save();
    SecretVerdictMemo reread(root, later());
    CHECK(reread.find("b", stat_of(b)));
  }
}

TEST_CASE("pipeline: ELF facts survive the JSON round trip; a malformed one is refused") {
  slimbuild::trace::ElfInfo e;
  e.elf_class = slimbuild::trace::ElfClass::Elf32;
  e.little_endian = false;
  e.machine = 40;
  e.osabi = 3;
  e.type = 3;
  e.flags = 0x5000400;
  e.interpreter = "/lib/ld-linux-armhf.so.3";
  e.needed = {"libc.so.6", "libm.so.6"};
  e.rpath = {"$ORIGIN"};
  e.runpath = {"/opt/lib"};
  e.soname = "libx.so.1";
  e.build_id = "abcd";
  e.nodeflib = true;
  e.arm_cpu_arch = 10;
  auto back = slimbuild::pipeline::elf_facts_from_json(slimbuild::pipeline::elf_facts_json(e));
  CHECK(back.elf_class == e.elf_class);
  CHECK(back.little_endian == e.little_endian);
  CHECK(back.machine == e.machine);
  CHECK(back.osabi == e.osabi);
  CHECK(back.flags == e.flags);
  CHECK(back.interpreter == e.interpreter);
  CHECK(back.needed == e.needed);
  CHECK(back.rpath == e.rpath);
  CHECK(back.runpath == e.runpath);
  CHECK(back.soname == e.soname);
  CHECK(back.build_id == e.build_id);
  CHECK(back.nodeflib);
  CHECK(back.arm_cpu_arch == e.arm_cpu_arch);
  auto j = slimbuild::pipeline::elf_facts_json(e);
  j["class"] = 7;
  CHECK_THROWS(slimbuild::pipeline::elf_facts_from_json(j));
  j = slimbuild::pipeline::elf_facts_json(e);
  j["needed"] = "libc.so.6";
  CHECK_THROWS(slimbuild::pipeline::elf_facts_from_json(j));
  j.erase("needed");
  CHECK_THROWS(slimbuild::pipeline::elf_facts_from_json(j));
}
