// ElfCrossChecks: LIEF's second opinion on worker threads. With a check of
// the test's own (sleeps make the workers finish out of order), the error
// shown must be the first in queue order, whatever finished first; `then`
// runs only for files that passed and only on the caller's thread; every
// descriptor is closed once checked; more files than kMaxPending neither
// deadlock nor get lost. The real LIEF check runs in every trace test.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <slimbuild/trace/elf_reader.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>

namespace fs = std::filesystem;
using slimbuild::Error;
using slimbuild::trace::ElfCrossChecks;
using slimbuild::trace::ElfInfo;

namespace {

slimbuild::util::Fd open_null() {
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  return slimbuild::util::Fd(fd);
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

std::string finish_error(ElfCrossChecks& checks) {
  try {
    checks.finish();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("trace: cross-check failures are reported in queue order, not completion order") {
  // f0 passes; f1 fails slowly; f2 fails at once. Two workers: f2 fails
  // before f1 does, yet f1's error is the one shown, with its context.
  std::vector<std::string> then_ran;
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> then_on_caller{true};
  ElfCrossChecks checks(2, [](const fs::path& file, int, uint64_t, const ElfInfo&) {
    if (file == "f1") {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      throw Error("f1 disagrees");
    }
    if (file == "f2") throw Error("f2 disagrees");
  });
  for (std::string name : {"f0", "f1", "f2"})
    checks.add(name, open_null(), 0, ElfInfo{}, " (for " + name + ")", [&, name](const ElfInfo&) {
      if (std::this_thread::get_id() != caller) then_on_caller = false;
      then_ran.push_back(name);
    });
  CHECK(finish_error(checks) == "f1 disagrees (for f1)");
  CHECK(then_ran == std::vector<std::string>{"f0"});  // neither failed file's facts are passed on
  CHECK(then_on_caller);
}

TEST_CASE("trace: a check that throws something other than Error names the file") {
  ElfCrossChecks checks(1, [](const fs::path&, int, uint64_t, const ElfInfo&) { throw std::runtime_error("bad_alloc-ish"); });
  checks.add("/lib/libx.so", open_null(), 0, ElfInfo{}, "", {});
  CHECK(finish_error(checks) == "/lib/libx.so could not be checked: bad_alloc-ish");
}

TEST_CASE("trace: every file is checked once, its descriptor closed, beyond the pending bound") {
  const int files = static_cast<int>(ElfCrossChecks::kMaxPending) * 3;
  // Catch2's assertions are not thread-safe: the workers only record.
  std::mutex mu;
  int checked = 0, wrong = 0;
  std::set<std::string> seen;
  ElfCrossChecks checks(2, [&](const fs::path& file, int fd, uint64_t size, const ElfInfo& ours) {
    bool ok = is_open(fd) && size == 7 && ours.soname == file.string();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::lock_guard lock(mu);
    if (!ok || !seen.insert(file.string()).second) ++wrong;
    ++checked;
  });
  std::vector<int> fds;
  int then_count = 0;
  for (int i = 0; i < files; ++i) {
    ElfInfo info;
    info.soname = "lib" + std::to_string(i) + ".so";
    slimbuild::util::Fd fd = open_null();
    fds.push_back(fd.get());
    checks.add(info.soname, std::move(fd), 7, info, "", [&then_count, i](const ElfInfo& facts) {
      CHECK(facts.soname == "lib" + std::to_string(i) + ".so");
      CHECK(then_count++ == i);  // in queue order
    });
  }
  checks.finish();
  CHECK(checked == files);
  CHECK(wrong == 0);
  CHECK(then_count == files);
  int still_open = 0;
  for (int fd : fds) still_open += is_open(fd);
  CHECK(still_open == 0);
  // The queue is reusable after finish().
  checks.add("again", open_null(), 7, [] { ElfInfo i; i.soname = "again"; return i; }(), "", {});
  checks.finish();
  CHECK(checked == files + 1);
}

TEST_CASE("trace: destroying the queue with checks pending joins the workers and closes every descriptor") {
  std::atomic<int> started{0};
  std::vector<int> fds;
  {
    ElfCrossChecks checks(2, [&](const fs::path&, int, uint64_t, const ElfInfo&) {
      ++started;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    });
    for (int i = 0; i < 10; ++i) {
      slimbuild::util::Fd fd = open_null();
      fds.push_back(fd.get());
      checks.add("f" + std::to_string(i), std::move(fd), 0, ElfInfo{}, "", {});
    }
  }  // no finish(): an error elsewhere in the trace unwinds through here
  int after = started.load();
  CHECK(after <= 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  CHECK(started.load() == after);  // joined: nothing runs once the queue is gone
  for (int fd : fds) CHECK_FALSE(is_open(fd));  // pending ones closed unchecked
}

TEST_CASE("trace: with no worker threads each file is checked in add(), on the caller's thread") {
  std::vector<std::thread::id> ran_on;  // written only by the caller's thread
  std::vector<int> fds;
  ElfCrossChecks checks(0, [&](const fs::path& file, int fd, uint64_t, const ElfInfo&) {
    ran_on.push_back(std::this_thread::get_id());
    CHECK(is_open(fd));
    if (file == "bad1" || file == "bad2") throw Error(file.string() + " disagrees");
  });
  for (const char* name : {"good", "bad1", "bad2"}) {
    slimbuild::util::Fd fd = open_null();
    fds.push_back(fd.get());
    checks.add(name, std::move(fd), 0, ElfInfo{}, " (for the test)", {});
    CHECK(ran_on.size() == fds.size());  // before add() returned
    CHECK_FALSE(is_open(fds.back()));
  }
  for (auto id : ran_on) CHECK(id == std::this_thread::get_id());
  CHECK(finish_error(checks) == "bad1 disagrees (for the test)");
}
