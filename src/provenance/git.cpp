// Version-control facts about the build inputs, read by running `git` (never
// a shell, never libgit2: the user's own git honours their config, worktrees
// and safe.directory exactly as `git status` does for them). Every call is
// read-only: GIT_OPTIONAL_LOCKS=0 keeps `git status` from refreshing the
// index, so a build never races an editor or another build on the checkout.
#include <slimbuild/provenance/git.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/process.hpp>

namespace slimbuild::provenance {

namespace {

util::ProcessResult git(util::ProcessRunner& runner, const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv{"git", "--literal-pathspecs", "-C", dir.string()};
  argv.insert(argv.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  util::ProcessOptions options;
  // Stable, parseable output whatever the user's locale and pager settings.
  options.env_set = {{"LC_ALL", "C"}, {"GIT_OPTIONAL_LOCKS", "0"}, {"GIT_TERMINAL_PROMPT", "0"},
                     {"GIT_PAGER", "cat"}};
  return runner.run(argv, options);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The directory git should run in for an input that may be a file or may
// not exist yet: its nearest existing ancestor.
fs::path existing_dir_for(const fs::path& input) {
  std::error_code ec;
  fs::path p = fs::absolute(input, ec);
  if (ec) p = input;
  while (!p.empty()) {
    if (fs::is_directory(p, ec)) return p;
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  return "/";
}

// Not being in a checkout is normal; git refusing one that is there (most
// often "detected dubious ownership": the checkout belongs to another user,
// as in CI containers) is not, and is never worked around here: the user
// decides, with safe.directory or SOURCE_DATE_EPOCH.
Error git_refused(const fs::path& dir, const std::string& err) {
  std::string first = err.substr(0, err.find('\n'));
  if (first.rfind("fatal: ", 0) == 0) first.erase(0, 7);
  std::string hint;
  if (err.find("dubious ownership") != std::string::npos)
    hint = "if you trust this checkout, let git read it: git config --global --add safe.directory " +
           dir.string() + " (as the user running slimbuild); ";
  hint += "or set SOURCE_DATE_EPOCH to build without git metadata (no revision label, time from the variable)";
  return Error("git refuses the checkout at " + dir.string() + ": " + trim(first), hint);
}

struct TopLevel {
  std::optional<fs::path> path;
  std::optional<Error> refused;
};

TopLevel toplevel(util::ProcessRunner& runner, const fs::path& dir) {
  auto r = git(runner, dir, {"rev-parse", "--show-toplevel"});
  if (!r.ok()) {
    if (r.err.find("not a git repository") != std::string::npos) return {};
    return {std::nullopt, git_refused(dir, r.err)};
  }
  std::string top = trim(r.out);
  if (top.empty()) return {};
  return {fs::path(top), std::nullopt};
}

std::string remote_url(util::ProcessRunner& runner, const fs::path& top) {
  auto names = git(runner, top, {"remote"});
  if (!names.ok()) return {};
  std::vector<std::string> remotes;
  std::string line;
  for (char c : names.out) {
    if (c == '\n') {
      if (!line.empty()) remotes.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) remotes.push_back(line);
  if (remotes.empty()) return {};
  std::string chosen = std::find(remotes.begin(), remotes.end(), "origin") != remotes.end() ? "origin" : remotes.front();
  auto url = git(runner, top, {"remote", "get-url", chosen});
  return url.ok() ? strip_credentials(trim(url.out)) : std::string{};
}

const char* describe_status(char x, char y) {
  if (x == '?') return "untracked";
  if (x == '!') return "ignored, so not committed";
  if (x == 'U' || y == 'U' || (x == 'A' && y == 'A') || (x == 'D' && y == 'D')) return "merge conflict";
  if (y == 'D' || x == 'D') return "deleted";
  if (y != ' ') return "modified";
  return "staged but not committed";
}

}  // namespace

std::string strip_credentials(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    // scp-like "user@host:path" has no room for a password, but
    // "user:secret@host:path" is what a careless copy-paste produces.
    auto at = url.find('@');
    auto colon_after_host = url.find(':', at == std::string::npos ? 0 : at);
    if (at == std::string::npos || colon_after_host == std::string::npos || url.find('/') < at) return url;
    std::string user = url.substr(0, at);
    if (auto c = user.find(':'); c != std::string::npos) user.resize(c);
    return user + url.substr(at);
  }
  std::string scheme = url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  std::size_t auth_start = scheme_end + 3;
  std::size_t auth_end = url.find_first_of("/?#", auth_start);
  std::string authority = url.substr(auth_start, auth_end == std::string::npos ? std::string::npos : auth_end - auth_start);
  std::string rest = auth_end == std::string::npos ? std::string{} : url.substr(auth_end);

  if (auto at = authority.rfind('@'); at != std::string::npos) {
    std::string user = authority.substr(0, at);
    std::string host = authority.substr(at + 1);
    // Over ssh the user name ("git") is an account, not a secret, and the
    // URL is useless without it; over http(s) a bare user is often a token.
    bool keep_user = scheme == "ssh" || scheme == "git+ssh" || scheme == "ssh+git";
    if (auto c = user.find(':'); c != std::string::npos) user.resize(c);
    authority = keep_user && !user.empty() ? user + "@" + host : host;
  }
  // Query strings and fragments carry signed-URL tokens; git never needs them.
  if (auto q = rest.find_first_of("?#"); q != std::string::npos) rest.resize(q);
  return url.substr(0, auth_start) + authority + rest;
}

std::optional<GitInfo> git_info(const fs::path& dir, util::ProcessRunner& runner) {
  if (!runner.has_program("git")) return std::nullopt;
  fs::path start = existing_dir_for(dir);
  auto [top, refused] = toplevel(runner, start);
  if (refused) {
    // Falling back to time 0 without a word would silently change the digest.
    if (!util::environment().value("SOURCE_DATE_EPOCH")) throw *refused;
    util::warn(std::string(refused->what()) + "; building without git metadata because SOURCE_DATE_EPOCH is set");
    return std::nullopt;
  }
  if (!top) return std::nullopt;

  auto head = git(runner, *top, {"log", "-1", "--format=%H %ct", "HEAD"});
  if (!head.ok()) return std::nullopt;  // a repository without commits names no revision
  std::string out = trim(head.out);
  auto space = out.find(' ');
  if (space == std::string::npos) return std::nullopt;

  GitInfo info;
  info.top_level = *top;
  info.commit = out.substr(0, space);
  try {
    info.commit_time = std::stoll(out.substr(space + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  info.source_url = remote_url(runner, *top);
  if (auto tag = git(runner, *top, {"describe", "--tags", "--exact-match", "HEAD"}); tag.ok()) info.tag = trim(tag.out);
  return info;
}

std::vector<std::string> uncommitted_inputs(const std::vector<fs::path>& inputs, const std::vector<fs::path>& build_outputs,
                                            util::ProcessRunner& runner) {
  std::set<std::string> found;
  bool have_git = runner.has_program("git");
  std::vector<std::pair<fs::path, bool>> all;  // path, ignored is fine
  for (const auto& p : inputs) all.emplace_back(p, false);
  for (const auto& p : build_outputs) all.emplace_back(p, true);
  for (const auto& [input, output] : all) {
    std::error_code ec;
    fs::path abs = fs::weakly_canonical(fs::absolute(input, ec), ec);
    if (ec) abs = input;
    TopLevel found_top = have_git ? toplevel(runner, existing_dir_for(abs)) : TopLevel{};
    if (found_top.refused) throw Error("--require-clean: " + std::string(found_top.refused->what()), found_top.refused->hint());
    std::optional<fs::path> top = found_top.path;
    if (!top) {
      found.insert(abs.string() + " (not in a git checkout)");
      continue;
    }
    fs::path rel = abs.lexically_relative(fs::weakly_canonical(*top, ec));
    std::string pathspec = rel.empty() || rel == "." ? std::string(".") : rel.generic_string();
    auto st = git(runner, *top, {"status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=matching", "--",
                         pathspec});
    if (!st.ok()) {
      found.insert(abs.string() + " (git status failed: " + trim(st.err) + ")");
      continue;
    }
    // Records are "XY path\0", renames add "\0origpath"; paths are raw bytes
    // relative to the top level (no quoting with -z).
    const std::string& s = st.out;
    std::size_t i = 0;
    while (i + 3 < s.size()) {
      char x = s[i], y = s[i + 1];
      std::size_t end = s.find('\0', i + 3);
      if (end == std::string::npos) end = s.size();
      if (!(output && x == '!')) found.insert(s.substr(i + 3, end - i - 3) + " (" + describe_status(x, y) + ")");
      i = end + 1;
      if (x == 'R' || x == 'C') i = s.find('\0', i) + 1;  // skip the original path
      if (i == 0) break;
    }
  }
  return {found.begin(), found.end()};
}

int64_t resolve_source_date_epoch(const std::optional<GitInfo>& git) {
  if (auto env = util::environment().value("SOURCE_DATE_EPOCH")) {
    const std::string& v = *env;
    // Seconds up to 9999-12-31T23:59:59Z: anything larger cannot be written
    // as an RFC 3339 `created` date.
    constexpr int64_t kMax = 253402300799;
    bool ok = !v.empty() && v.size() <= 12 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (ok && std::stoll(v) <= kMax) return std::stoll(v);
    throw Error("SOURCE_DATE_EPOCH=\"" + v + "\" is not a valid timestamp",
                "set it to a non-negative integer number of seconds since 1970-01-01 UTC "
                "(e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)), or unset it to use the commit time");
  }
  if (git) return git->commit_time;
  return 0;
}

}  // namespace slimbuild::provenance
