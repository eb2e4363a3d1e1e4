// assemble_rootfs: the whole image file system from the manifest and the
// trace, as a list of stage calls. Generated files go first so that a
// `files:` entry aimed at /etc/passwd or at a library path is reported as a
// conflict with the manifest line, not silently layered over it.
#include <slimbuild/rootfs/rootfs.hpp>

#include <slimbuild/manifest/manifest.hpp>
#include "rootfs/ca_tz.hpp"
#include "rootfs/elf_closure.hpp"
#include "rootfs/system_files.hpp"
#include "rootfs/user_files.hpp"
#include <slimbuild/trace/loader.hpp>

namespace slimbuild::rootfs {

Rootfs assemble_rootfs(const manifest::Manifest& manifest, const trace::TraceResult& trace, SecretMemo* secret_memo,
                       const util::FileSystem& files) {
  Rootfs rootfs;
  HoldBudget hold;  // small tree files read once, by the walk (tree.hpp)
  add_system_files(rootfs, manifest.user, manifest.arbitrary_uid);  // passwd, group, nsswitch.conf, /tmp, home
  add_writable_dirs(rootfs, manifest);            // writable: directories owned by the user
  add_elf_closure(rootfs, manifest, trace, files);  // binary, interpreter, libraries + symlink chains
  add_ca_bundle(rootfs, manifest, files);           // /etc/ssl/certs/ca-certificates.crt
  add_tzdata(rootfs, manifest, &hold, files);       // zoneinfo, /etc/localtime
  for (const auto& spec : manifest.files) add_user_files(rootfs, spec, secret_memo, &hold, files);
  return rootfs;
}

}  // namespace slimbuild::rootfs
