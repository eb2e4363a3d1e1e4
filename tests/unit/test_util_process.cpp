// run_process's deadline (ProcessOptions::timeout): a child that does not
// finish in time is killed and reported as timed out, promptly, instead of
// hanging the caller; one that finishes in time is untouched. And the real
// ProcessRunner is run_process + program_in_path.
#include <catch2/catch.hpp>

#include <chrono>

#include <slimbuild/util/process.hpp>

using namespace slimbuild;
using namespace std::chrono_literals;

TEST_CASE("util: run_process kills a child that outlives its timeout") {
  util::ProcessOptions o;
  o.timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  util::ProcessResult r = util::run_process({"sleep", "30"}, o);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.timed_out);
  CHECK_FALSE(r.ok());
  CHECK(r.exit_code == 128 + 9);
  CHECK(took < 10s);

  o.timeout = 20s;
  o.input = "hello\n";
  util::ProcessResult quick = util::run_process({"cat"}, o);
  CHECK_FALSE(quick.timed_out);
  CHECK(quick.ok());
  CHECK(quick.out == "hello\n");
}

TEST_CASE("util: the real process runner runs programs and finds them in PATH") {
  util::ProcessRunner& runner = util::real_process_runner();
  CHECK(runner.has_program("sh"));
  CHECK_FALSE(runner.has_program("no-such-program-anywhere-x7"));
  util::ProcessResult r = runner.run({"sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(r.exit_code == 3);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
}
