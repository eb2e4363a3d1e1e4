// The manifest's `files:` entries: single files and whole directory trees.
// A tree's contents land in `dest` (like `COPY dir/ dest/`), filtered by the
// entry's gitignore-style `exclude:` patterns, and every file is checked for
// secrets (private keys, .env, cloud credentials, .git) before it can ship.
// A single file named explicitly is shipped even if it looks like a secret
// (with a warning): the manifest author chose it, it was not swept in.
#pragma once

#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/rootfs/tree.hpp>

namespace slimbuild::manifest { struct FileSpec; }

namespace slimbuild::rootfs {

class SecretMemo;  // secret_memo.hpp

// A single file goes to `dest`, or to `dest/<basename>` when dest ended in
// '/'. Files get the manifest's mode, else 0644/0755 from the exec bit;
// directories are 0755; everything is owned by root (readable, not writable,
// by the image user). Errors name the manifest location and the host path.
// A tree's content verdicts come from `secret_memo` when it knows the file.
// A tree's small files are held in their entries within `hold` (tree.hpp).
void add_user_files(Rootfs& rootfs, const manifest::FileSpec& spec, SecretMemo* secret_memo = nullptr,
                    HoldBudget* hold = nullptr, const util::FileSystem& files = util::real_filesystem());

}  // namespace slimbuild::rootfs
