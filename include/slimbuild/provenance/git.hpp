// What version control says about the build inputs: the commit, where it came
// from (credentials stripped), when it was made, and whether the inputs are
// committed. Runs `git` through a util::ProcessRunner (the real one unless a
// test passes a fake); absent git or no checkout is not an error (nullopt),
// only --require-clean turns it into one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/util/process.hpp>

namespace slimbuild::provenance {

namespace fs = std::filesystem;

struct GitInfo {
  fs::path top_level;       // repository root
  std::string commit;       // full hex
  int64_t commit_time = 0;  // committer time, epoch seconds
  std::string source_url;   // remote "origin" (else the first remote) without user:password@, "" if none
  std::string tag;          // exact tag on HEAD, "" if none
};

std::optional<GitInfo> git_info(const fs::path& dir, util::ProcessRunner& runner = util::real_process_runner());

// Inputs (files or directories) that are modified, staged-but-uncommitted or
// untracked in their git checkout, as paths relative to the repository root.
// An input outside any checkout is reported too ("not in a git checkout").
// Each entry is "<path> (<why>)", why = untracked, modified, deleted, staged
// but not committed, merge conflict, "ignored, so not committed", or "not in
// a git checkout" (then the path is absolute). Sorted, no duplicates; empty
// means every input is committed content. `build_outputs` are checked the
// same way except that git-ignored is fine: the compiled binary is a product
// of the commit, kept out of git by .gitignore, not an uncommitted input.
std::vector<std::string> uncommitted_inputs(const std::vector<fs::path>& inputs,
                                            const std::vector<fs::path>& build_outputs = {},
                                            util::ProcessRunner& runner = util::real_process_runner());

// SOURCE_DATE_EPOCH if set (Error if it is not a non-negative integer), else
// the commit time, else 0.
int64_t resolve_source_date_epoch(const std::optional<GitInfo>& git);

// "https://user:token@host/x.git" -> "https://host/x.git"; scp-like and
// other forms keep their host/path.
std::string strip_credentials(const std::string& url);

}  // namespace slimbuild::provenance
