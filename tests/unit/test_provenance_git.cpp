// git metadata on a real temporary repository: commit, commit time (fixed via
// GIT_COMMITTER_DATE), remote with credentials stripped, exact tag, and the
// uncommitted-input report; plus SOURCE_DATE_EPOCH parsing. The same readers
// over a fake ProcessRunner for what a real git will not print on demand
// (refusals, corrupt indexes, unparseable output, no git at all).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <fstream>

#include <slimbuild/provenance/git.hpp>
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/process.hpp>

#include "unit/fake_process_runner.hpp"

using namespace slimbuild;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

void run_git(const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv{"git", "-c", "user.name=Test", "-c", "user.email=t@example.com",
                                "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-C", dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  util::ProcessOptions o;
  o.env_set = {{"GIT_COMMITTER_DATE", "2023-11-14T22:13:20Z"}, {"GIT_AUTHOR_DATE", "2023-11-14T22:13:20Z"}};
  auto r = util::run_process(argv, o);
  INFO(r.err);
  REQUIRE(r.ok());
}

void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s;
}

struct Repo {
  util::TempDir tmp{"prov-git"};
  fs::path dir = tmp.path() / "repo";
  Repo() {
    fs::create_directories(dir);
    run_git(dir, {"init", "-q"});
    write(dir / "app.yml", "name: x\n");
    write(dir / "config/a.conf", "a\n");
    write(dir / ".gitignore", "*.secret\n");
    run_git(dir, {"add", "."});
    run_git(dir, {"commit", "-q", "-m", "first"});
  }
};

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("provenance: git_info reads commit, time, stripped remote and exact tag") {
  Repo repo;
  run_git(repo.dir, {"remote", "add", "upstream", "https://someone@example.org/up.git"});
  run_git(repo.dir, {"remote", "add", "origin", "https://user:s3cr3t-token@git.example.com/team/app.git"});
  auto info = provenance::git_info(repo.dir / "config");
  REQUIRE(info);
  CHECK(info->top_level == fs::canonical(repo.dir));
  CHECK(info->commit.size() == 40);
  CHECK(info->commit_time == 1700000000);
  CHECK(info->source_url == "https://git.example.com/team/app.git");
  CHECK(info->tag.empty());

  run_git(repo.dir, {"tag", "v1.2.3"});
  CHECK(provenance::git_info(repo.dir)->tag == "v1.2.3");
  // A file path works as well as a directory.
  CHECK(provenance::git_info(repo.dir / "app.yml")->commit == info->commit);
}

TEST_CASE("provenance: git_info without origin takes the first remote, and no checkout is nullopt") {
  Repo repo;
  CHECK(provenance::git_info(repo.dir)->source_url.empty());
  run_git(repo.dir, {"remote", "add", "mirror", "https://tok@mirror.example.com/app.git?token=abc"});
  CHECK(provenance::git_info(repo.dir)->source_url == "https://mirror.example.com/app.git");

  util::TempDir outside{"prov-nogit"};
  CHECK_FALSE(provenance::git_info(outside.path()));
  // An empty repository has no revision to name.
  fs::create_directories(outside.path() / "empty");
  run_git(outside.path() / "empty", {"init", "-q"});
  CHECK_FALSE(provenance::git_info(outside.path() / "empty"));
}

TEST_CASE("provenance: uncommitted_inputs reports modified, staged, untracked, ignored and outside inputs") {
  Repo repo;
  CHECK(provenance::uncommitted_inputs({repo.dir / "app.yml", repo.dir / "config"}).empty());

  write(repo.dir / "app.yml", "name: changed\n");
  write(repo.dir / "config/new.conf", "n\n");
  write(repo.dir / "config/db.secret", "pw\n");
  write(repo.dir / "other.txt", "not an input\n");
  auto found = provenance::uncommitted_inputs({repo.dir / "app.yml", repo.dir / "config"});
  CHECK(has(found, "app.yml (modified)"));
  CHECK(has(found, "config/new.conf (untracked)"));
  CHECK(has(found, "config/db.secret (ignored, so not committed)"));
  CHECK(found.size() == 3);  // other.txt is not an input

  run_git(repo.dir, {"add", "config/new.conf"});
  CHECK(has(provenance::uncommitted_inputs({repo.dir / "config"}), "config/new.conf (staged but not committed)"));

  util::TempDir outside{"prov-out"};
  write(outside.path() / "f", "x");
  auto out = provenance::uncommitted_inputs({outside.path() / "f"});
  REQUIRE(out.size() == 1);
  CHECK(out[0] == fs::canonical(outside.path() / "f").string() + " (not in a git checkout)");
}

TEST_CASE("provenance: a git-ignored build output is clean, an untracked or modified one is not") {
  Repo repo;
  write(repo.dir / "config/db.secret", "a binary built from the commit\n");  // ignored by the repo's .gitignore
  write(repo.dir / "config/new.conf", "n\n");                               // untracked, not ignored
  CHECK(provenance::uncommitted_inputs({repo.dir / "app.yml"}, {repo.dir / "config/db.secret"}).empty());
  CHECK(provenance::uncommitted_inputs({}, {repo.dir / "config/new.conf"}) ==
        std::vector<std::string>{"config/new.conf (untracked)"});
  write(repo.dir / "app.yml", "name: changed\n");
  CHECK(provenance::uncommitted_inputs({}, {repo.dir / "app.yml"}) == std::vector<std::string>{"app.yml (modified)"});
  // As an input the same ignored file is still refused.
  CHECK(provenance::uncommitted_inputs({repo.dir / "config/db.secret"}) ==
        std::vector<std::string>{"config/db.secret (ignored, so not committed)"});
}

TEST_CASE("provenance: strip_credentials removes secrets and keeps what is needed to clone") {
  using provenance::strip_credentials;
  CHECK(strip_credentials("https://user:tok@host/x.git") == "https://host/x.git");
  CHECK(strip_credentials("https://ghp_abcdef@github.com/o/r.git") == "https://github.com/o/r.git");
  CHECK(strip_credentials("http://a:b@host:8080/r?private_token=zzz#frag") == "http://host:8080/r");
  CHECK(strip_credentials("ssh://git:pw@host:22/r.git") == "ssh://git@host:22/r.git");
  CHECK(strip_credentials("ssh://git@host/r.git") == "ssh://git@host/r.git");
  CHECK(strip_credentials("git@github.com:org/repo.git") == "git@github.com:org/repo.git");
  CHECK(strip_credentials("me:pw@host:org/repo.git") == "me@host:org/repo.git");
  CHECK(strip_credentials("/srv/git/repo.git") == "/srv/git/repo.git");
  CHECK(strip_credentials("https://host/x.git") == "https://host/x.git");
}

TEST_CASE("provenance: SOURCE_DATE_EPOCH wins, must be a non-negative integer, else commit time, else 0") {
  provenance::GitInfo g;
  g.commit_time = 1234;
  auto epoch = [](std::optional<std::string> v) {
    return util::ScopedEnvironment(util::Environment().with("SOURCE_DATE_EPOCH", std::move(v)));
  };
  {
    auto env = epoch(std::nullopt);
    CHECK(provenance::resolve_source_date_epoch(g) == 1234);
    CHECK(provenance::resolve_source_date_epoch(std::nullopt) == 0);
  }
  {
    auto env = epoch("1700000000");
    CHECK(provenance::resolve_source_date_epoch(g) == 1700000000);
  }
  {
    auto env = epoch("0");
    CHECK(provenance::resolve_source_date_epoch(g) == 0);
  }
  for (const char* bad : {"", "-1", "12abc", "1.5", " 12", "99999999999999999999", "253402300800"}) {
    auto env = epoch(bad);
    INFO(bad);
    try {
      provenance::resolve_source_date_epoch(g);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("SOURCE_DATE_EPOCH") != std::string::npos);
      CHECK_FALSE(e.hint().empty());
    }
  }
}

namespace {

// git answers for a checkout at /src/repo, scripted by subcommand.
struct FakeGit {
  fake_process::FakeProcessRunner runner;
  std::map<std::string, fake_process::ProcessResult> answers;  // "rev-parse", "remote", ... -> result
  FakeGit() {
    runner.programs = {"git"};
    runner.handler = [this](const std::vector<std::string>& argv, const fake_process::ProcessOptions&) {
      // argv: git --literal-pathspecs -C DIR SUBCOMMAND ...
      REQUIRE(argv.size() > 4);
      std::string key = argv[4] == "remote" && argv.size() > 5 ? "remote " + argv[5] : argv[4];
      auto it = answers.find(key);
      return it == answers.end() ? fake_process::result(1, "", "fatal: unexpected") : it->second;
    };
    answers["rev-parse"] = fake_process::result(0, "/src/repo\n");
    answers["remote"] = fake_process::result(0, "upstream\nmirror\n");
    answers["remote get-url"] = fake_process::result(0, "https://bot:tok3n@git.example/team/app.git\n");
    answers["log"] = fake_process::result(0, "0123456789abcdef0123456789abcdef01234567 1700000000\n");
    answers["describe"] = fake_process::result(128, "", "fatal: no tag exactly matches");
  }
};

util::ScopedEnvironment no_environment() { return util::ScopedEnvironment(std::map<std::string, std::string, std::less<>>{}); }

}  // namespace

TEST_CASE("provenance: git_info parses what git prints, through the process runner") {
  auto env = no_environment();
  FakeGit g;
  auto info = provenance::git_info("/src/repo/app", g.runner);
  REQUIRE(info);
  CHECK(info->top_level == "/src/repo");
  CHECK(info->commit == "0123456789abcdef0123456789abcdef01234567");
  CHECK(info->commit_time == 1700000000);
  CHECK(info->source_url == "https://git.example/team/app.git");  // no origin: the first remote, token stripped
  CHECK(info->tag.empty());
  REQUIRE_FALSE(g.runner.calls.empty());
  for (const auto& c : g.runner.calls) {
    CHECK(std::vector<std::string>(c.argv.begin(), c.argv.begin() + 3) ==
          std::vector<std::string>{"git", "--literal-pathspecs", "-C"});
    CHECK(c.options.env_set.at("LC_ALL") == "C");
    CHECK(c.options.env_set.at("GIT_OPTIONAL_LOCKS") == "0");
  }
  CHECK(g.runner.calls.back().argv == std::vector<std::string>{"git", "--literal-pathspecs", "-C", "/src/repo", "describe",
                                                                "--tags", "--exact-match", "HEAD"});

  g.answers["describe"] = fake_process::result(0, "v1.2\n");
  g.answers["log"] = fake_process::result(0, "garbage-without-a-time\n");
  CHECK_FALSE(provenance::git_info("/src/repo", g.runner));  // unparseable HEAD: no revision, no crash
}

TEST_CASE("provenance: git_info without git, outside a checkout, and refused by git") {
  auto env = no_environment();
  FakeGit g;
  g.runner.programs.clear();
  CHECK_FALSE(provenance::git_info("/src/repo", g.runner));
  CHECK(g.runner.calls.empty());

  g.runner.programs = {"git"};
  g.answers["rev-parse"] = fake_process::result(128, "", "fatal: not a git repository (or any of the parent directories): .git\n");
  CHECK_FALSE(provenance::git_info("/src/repo", g.runner));

  g.answers["rev-parse"] =
      fake_process::result(128, "", "fatal: detected dubious ownership in repository at '/src/repo'\nmore text\n");
  try {
    provenance::git_info("/src/repo", g.runner);
    FAIL("a refused checkout was accepted");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("git refuses the checkout") && Catch::Contains("detected dubious ownership"));
    CHECK_THAT(e.hint(), Catch::Contains("safe.directory") && Catch::Contains("SOURCE_DATE_EPOCH"));
  }
}

TEST_CASE("provenance: uncommitted_inputs reads git status -z records from the runner") {
  auto env = no_environment();
  FakeGit g;
  g.answers["status"] = fake_process::result(0, " M app.cpp\0?? new file.txt\0R  moved.h\0old.h\0!! out/bin\0"s);
  // Sorted; the rename's origin (old.h) is skipped, not reported.
  CHECK(provenance::uncommitted_inputs({"/src/repo"}, {}, g.runner) ==
        std::vector<std::string>{"app.cpp (modified)", "moved.h (staged but not committed)", "new file.txt (untracked)",
                                 "out/bin (ignored, so not committed)"});
  CHECK(g.runner.calls.back().argv.back() == ".");

  // A build output that git ignores is fine; the pathspec is relative to the top level.
  g.answers["status"] = fake_process::result(0, "!! out/bin\0"s);
  CHECK(provenance::uncommitted_inputs({}, {"/src/repo/out/bin"}, g.runner).empty());
  CHECK(g.runner.calls.back().argv.back() == "out/bin");

  g.answers["status"] = fake_process::result(128, "", "fatal: index file corrupt\n");
  CHECK(provenance::uncommitted_inputs({"/src/repo/app.cpp"}, {}, g.runner) ==
        std::vector<std::string>{"/src/repo/app.cpp (git status failed: fatal: index file corrupt)"});

  g.runner.programs.clear();  // no git: every input is "not in a git checkout"
  CHECK(provenance::uncommitted_inputs({"/src/repo/app.cpp"}, {}, g.runner) ==
        std::vector<std::string>{"/src/repo/app.cpp (not in a git checkout)"});
}
