// The secret guard's memo hook: the content verdict comes from the memo when
// it knows the file (so the file is not scanned), the name rules run anyway,
// and a scanned file's verdict is offered to the memo with the stat of the
// descriptor that was scanned.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <mutex>

#include <slimbuild/rootfs/secret_memo.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/handles.hpp>

using slimbuild::rootfs::SecretMemo;
using slimbuild::rootfs::secret_reason_memoised;
namespace fs = std::filesystem;

namespace {

// Thread-safe, as SecretMemo must be (the walk checks big files on its reader threads).
struct CountingMemo : SecretMemo {
  std::mutex mu;
  std::map<std::string, std::optional<std::string>> verdicts;
  int scans = 0, hits = 0;
  ino_t last_ino = 0;
  std::optional<std::optional<std::string>> find(const std::string& key, const struct stat&) override {
    std::lock_guard lock(mu);
    auto it = verdicts.find(key);
    if (it == verdicts.end()) return std::nullopt;
    ++hits;
    return it->second;
  }
  void remember(const std::string& key, const struct stat& st, const std::optional<std::string>& reason) override {
    std::lock_guard lock(mu);
    ++scans;  // once per scan
    last_ino = st.st_ino;
    verdicts[key] = reason;
  }
};

const std::string kKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
// Files below kSecretMemoMinBytes are never memoised: these are just above.
const std::string kPadding(slimbuild::rootfs::kSecretMemoMinBytes, '.');

}  // namespace

TEST_CASE("rootfs: a memoised secret verdict is not scanned again; name rules always run") {
  slimbuild::util::TempDir tmp("secret-memo");
  fs::path key = tmp.path() / "deploy.txt";
  std::ofstream(key) << kPadding << kKey;
  CountingMemo memo;
  auto first = secret_reason_memoised(key, "deploy.txt", -1, &memo);
  REQUIRE(first);
  CHECK(memo.scans == 1);
  auto again = secret_reason_memoised(key, "deploy.txt", -1, &memo);
  CHECK(again == first);
  CHECK(memo.scans == 1);
  CHECK(memo.hits == 1);

  SECTION("the memo's verdict is what counts (so the file was not read)") {
    for (auto& [k, v] : memo.verdicts) v.reset();
    CHECK_FALSE(secret_reason_memoised(key, "deploy.txt", -1, &memo));
    CHECK(memo.scans == 1);
  }
  SECTION("name rules do not ask the memo") {
    fs::path env = tmp.path() / ".env";
    std::ofstream(env) << "X=1\n";
    CHECK(secret_reason_memoised(env, ".env", -1, &memo));
    CHECK(memo.scans == 1);
    CHECK(memo.hits == 1);
  }
  SECTION("the descriptor given is the one stat'ed") {
    fs::path clean = tmp.path() / "clean.txt";
    std::ofstream(clean) << kPadding << "hello\n";
    slimbuild::util::Fd fd(::open(clean.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    REQUIRE(::fstat(fd.get(), &st) == 0);
    CHECK_FALSE(secret_reason_memoised(clean, "clean.txt", fd.get(), &memo));
    CHECK(memo.scans == 2);
    CHECK(memo.last_ino == st.st_ino);
  }
  SECTION("a small file is scanned every time, never memoised") {
    fs::path small = tmp.path() / "small.pem";
    std::ofstream(small) << kKey;
    CHECK(secret_reason_memoised(small, "small.pem", -1, &memo));
    CHECK(secret_reason_memoised(small, "small.pem", -1, &memo));
    CHECK(memo.scans == 1);
    CHECK(memo.verdicts.size() == 1);
  }
  SECTION("the same content under another relative path is another key") {
    CHECK(secret_reason_memoised(key, "sub/deploy.txt", -1, &memo));
    CHECK(memo.scans == 2);
  }
}
