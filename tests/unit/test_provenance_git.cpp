// git metadata on a real temporary repository: commit, commit time (fixed via
// GIT_COMMITTER_DATE), remote with credentials stripped, exact tag, and the
// uncommitted-input report; plus SOURCE_DATE_EPOCH parsing.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include <slimbuild/provenance/git.hpp>
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/process.hpp>

using namespace slimbuild;
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
