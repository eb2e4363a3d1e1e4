// Generated /etc files, /tmp and the home directory. The content is a pure
// function of the manifest's user, so it is identical on every machine.
#include "rootfs/system_files.hpp"

#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/util/capabilities.hpp>
#include <slimbuild/util/error.hpp>

namespace slimbuild::rootfs {

namespace {

// The manifest stage validates names, but passwd is a colon/newline format
// and a bad name here would silently corrupt it, so check again.
void check_user(const manifest::UserSpec& user) {
  if (user.name.empty() || user.name.find_first_of(":/\n\r\t ") != std::string::npos || user.name == "." ||
      user.name == "..")
    throw Error("user name '" + user.name + "' cannot be used in /etc/passwd",
                "use letters, digits, '.', '_' or '-' in user.name");
  if (user.uid == 0 || user.gid == 0)
    throw Error("the image user may not be root (uid " + std::to_string(user.uid) + ", gid " +
                std::to_string(user.gid) + ")", "pick a non-zero uid/gid, e.g. 65532");
}

Entry generated(const std::string& path, std::string content) {
  Entry e;
  e.path = path;
  e.type = EntryType::File;
  e.mode = 0644;
  e.size = content.size();
  e.content = std::move(content);
  e.origin = EntryOrigin::Generated;
  return e;
}

}  // namespace

std::string passwd_content(const manifest::UserSpec& user) {
  check_user(user);
  return user.name + ":x:" + std::to_string(user.uid) + ":" + std::to_string(user.gid) + "::/home/" + user.name +
         ":/sbin/nologin\n";
}

std::string group_content(const manifest::UserSpec& user) {
  check_user(user);
  return user.name + ":x:" + std::to_string(user.gid) + ":\n";
}

std::string nsswitch_content() {
  return "passwd:         files\n"
         "group:          files\n"
         "shadow:         files\n"
         "gshadow:        files\n"
         "\n"
         "hosts:          files dns\n"
         "networks:       files\n"
         "\n"
         "protocols:      db files\n"
         "services:       db files\n"
         "ethers:         db files\n"
         "rpc:            db files\n";
}

void add_system_files(Rootfs& rootfs, const manifest::UserSpec& user, bool arbitrary_uid) {
  rootfs.add(generated("/etc/passwd", passwd_content(user)));
  rootfs.add(generated("/etc/group", group_content(user)));
  rootfs.add(generated("/etc/nsswitch.conf", nsswitch_content()));

  Entry tmp;
  tmp.path = "/tmp";
  tmp.type = EntryType::Directory;
  tmp.mode = 01777;
  tmp.origin = EntryOrigin::Generated;
  rootfs.add(std::move(tmp));

  Entry home;
  home.path = "/home/" + user.name;
  home.type = EntryType::Directory;
  home.mode = arbitrary_uid ? 0770 : 0700;
  home.uid = user.uid;
  home.gid = arbitrary_uid ? 0 : user.gid;
  home.origin = EntryOrigin::Generated;
  rootfs.add(std::move(home));
}

void add_writable_dirs(Rootfs& rootfs, const manifest::Manifest& manifest) {
  for (const auto& path : manifest.writable) {
    Entry dir;
    dir.path = path;
    dir.type = EntryType::Directory;
    dir.mode = manifest.arbitrary_uid ? 0775 : 0755;
    dir.uid = manifest.user.uid;
    dir.gid = manifest.arbitrary_uid ? 0 : manifest.user.gid;
    dir.origin = EntryOrigin::Writable;
    rootfs.add(std::move(dir));
  }
}

std::map<std::string, std::string> binary_xattrs(const manifest::Manifest& manifest) {
  if (manifest.capabilities.empty()) return {};
  uint64_t bits = 0;
  for (const auto& name : manifest.capabilities)
    if (auto bit = util::capability_number(name)) bits |= uint64_t{1} << *bit;
  return {{util::kCapabilityXattr, util::encode_file_capabilities(bits)}};
}

}  // namespace slimbuild::rootfs
