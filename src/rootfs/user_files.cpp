// `files:` into the Rootfs. The tree walk itself (sorted, lstat-based, links
// kept only inside the tree) lives in tree.cpp; this adds what is specific to
// user input: exclude patterns, the secret guard, and error messages that
// point back at the manifest entry.
#include "rootfs/user_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/rootfs/secret_memo.hpp>
#include <slimbuild/rootfs/secrets.hpp>
#include <slimbuild/rootfs/tree.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::rootfs {

namespace {

// All the secret-looking files of one tree, refused together so a user can
// fix them in one go rather than one rebuild per file.
void refuse_secrets(const manifest::FileSpec& spec, const std::vector<std::string>& found) {
  if (found.empty()) return;
  constexpr size_t kShown = 10;
  std::string message = found.size() == 1 ? "refusing to put " + found[0] + " into the image"
                                          : "refusing to put " + std::to_string(found.size()) +
                                                " files that look like secrets into the image:";
  if (found.size() > 1) {
    for (size_t i = 0; i < found.size() && i < kShown; ++i) message += "\n    " + found[i];
    if (found.size() > kShown) message += "\n    ... and " + std::to_string(found.size() - kShown) + " more";
  }
  throw manifest::ManifestError(spec.where, message,
                                "remove them, add them to this entry's exclude: list, or name a file in a files: "
                                "entry of its own to include it on purpose");
}

std::string basename_of(const fs::path& p) {
  fs::path clean = p.lexically_normal();
  if (clean.filename().empty()) clean = clean.parent_path();
  return clean.filename().string();
}

}  // namespace

void add_user_files(Rootfs& rootfs, const manifest::FileSpec& spec, SecretMemo* secret_memo, HoldBudget* hold,
                    const util::FileSystem& files) {
  auto stat = files.stat(spec.src);
  if (!stat)
    throw manifest::ManifestError(spec.where, "files: source " + spec.src.string() + " does not exist",
                                  "paths are relative to the manifest's directory");
  const struct stat& st = *stat;
  try {
    if (S_ISDIR(st.st_mode)) {
      ExcludeMatcher matcher(spec.exclude);
      TreeOptions opts;
      opts.origin = EntryOrigin::Files;
      opts.file_mode = spec.mode;
      opts.filesystem = &files;
      opts.skip = [&](std::string_view rel, bool is_dir) { return matcher.excluded(rel, is_dir); };
      // What was found, keyed so that the keys sort in walk order (each
      // relative path with '/' as '\0': a directory's files before the next
      // name): the checks of big files run on the walk's reader threads.
      std::map<std::string, std::string> found;
      std::mutex found_mu;
      auto walk_key = [](std::string rel) {
        std::replace(rel.begin(), rel.end(), '/', '\0');
        return rel;
      };
      opts.hold = hold;
      // A held file's verdict comes from its bytes: no second read, and no
      // memo (a small file costs less to scan than its memo record to check).
      opts.check_file = [&](const fs::path& host, std::string_view rel, int fd, const std::string* held) {
        auto why = held ? secret_reason_of(host, rel, *held) : secret_reason_memoised(host, rel, fd, secret_memo, files);
        if (!why) return;
        std::string r(rel);
        size_t git = ("/" + r).find("/.git/");
        std::lock_guard lock(found_mu);
        if (git != std::string::npos) {  // one line per .git directory, not one per object in it
          std::string dir_rel = r.substr(0, git + 4);
          found.emplace(walk_key(dir_rel),
                        (spec.src / dir_rel).string() + "/: a git directory (repository internals, credentials)");
          return;
        }
        found.emplace(walk_key(r), host.string() + ": it " + *why);
      };
      opts.check_file_concurrently = true;  // the memo and `found` are guarded
      add_tree(rootfs, spec.src, spec.dest, opts);
      std::vector<std::string> secrets;
      for (auto& [key, line] : found) secrets.push_back(std::move(line));
      refuse_secrets(spec, secrets);
      return;
    }
    std::string name = basename_of(spec.src);
    std::string dest = spec.dest_is_dir ? (spec.dest == "/" ? "/" + name : spec.dest + "/" + name) : spec.dest;
    // Naming one file explicitly is a decision, not an accident: ship it,
    // but say so, since it is the kind of file that usually should not be.
    if (auto why = secret_reason_memoised(spec.src, name, -1, secret_memo, files))
      util::warn(spec.where.str() + ": " + spec.src.string() + " " + *why + "; including it because it is listed explicitly");
    uint32_t mode = spec.mode.value_or((st.st_mode & S_IXUSR) ? 0755u : 0644u);
    rootfs.add(file_entry(spec.src, dest, mode, EntryOrigin::Files, files));
  } catch (const manifest::ManifestError&) {
    throw;
  } catch (const Error& e) {
    // Say which manifest entry the failure belongs to.
    throw manifest::ManifestError(spec.where, e.what(), e.hint());
  }
}

}  // namespace slimbuild::rootfs
