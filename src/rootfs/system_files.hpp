// The few generated files every image gets, following distroless: one
// non-root user in /etc/passwd and /etc/group (no root entry: nothing in the
// image runs as root, and a runtime that needs uid 0 resolves it numerically),
// an /etc/nsswitch.conf so glibc looks in those files and DNS instead of
// trying NIS or systemd modules that are not there, /tmp with the sticky bit,
// and the user's home.
#pragma once

#include <map>
#include <string>

#include <slimbuild/rootfs/rootfs.hpp>

namespace slimbuild::manifest { struct UserSpec; struct Manifest; }

namespace slimbuild::rootfs {

// "app:x:65532:65532::/home/app:/sbin/nologin\n". /sbin/nologin does not
// exist in the image (there is no shell at all); it is the conventional
// "no login" marker that distroless uses too.
std::string passwd_content(const manifest::UserSpec& user);
// "app:x:65532:\n"
std::string group_content(const manifest::UserSpec& user);
// Same databases and order as distroless' nsswitch.conf.
std::string nsswitch_content();

// /etc/passwd, /etc/group, /etc/nsswitch.conf (0644, root), /tmp (1777) and
// /home/<name> (0700, owned by the user, as distroless' /home/nonroot). With
// `arbitrary_uid` the home is 0770 and group 0, so a runtime that starts the
// image as a random uid in group 0 (OpenShift) can still write it.
void add_system_files(Rootfs& rootfs, const manifest::UserSpec& user, bool arbitrary_uid = false);

// The manifest's `writable:` directories, owned by the user (0755), or with
// `arbitrary_uid` group 0 and 0775. Added before `files:`, which may fill them.
void add_writable_dirs(Rootfs& rootfs, const manifest::Manifest& manifest);

// The binary's extended attributes: security.capability for `capabilities:`.
std::map<std::string, std::string> binary_xattrs(const manifest::Manifest& manifest);

}  // namespace slimbuild::rootfs
