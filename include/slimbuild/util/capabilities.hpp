// Linux file capabilities: the names of <linux/capability.h> and the
// `security.capability` extended attribute that carries them on a file
// (struct vfs_cap_data, VFS_CAP_REVISION_2). slimbuild writes that attribute
// on the binary when the manifest asks for `capabilities:`, so a non-root
// process can e.g. bind port 80 without running as root; `audit` and
// `inspect` decode it from a layer. Pure functions, no system calls: the
// attribute goes into the tar layer, never onto a host file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slimbuild::util {

inline constexpr const char* kCapabilityXattr = "security.capability";

// "net_bind_service", "NET_BIND_SERVICE" or "CAP_NET_BIND_SERVICE" -> 10;
// nullopt for a name the kernel does not define.
std::optional<int> capability_number(std::string_view name);
// 10 -> "net_bind_service"; "cap_<n>" for a bit without a name.
std::string capability_name(int number);
// Every name, lower case without "cap_", in bit order.
const std::vector<std::string>& capability_names();

// The attribute value for `permitted` (a bit per capability number) with
// the effective flag set (the kernel raises them at exec, so programs need
// not be capability-aware) and nothing inheritable: 20 bytes, little endian.
std::string encode_file_capabilities(uint64_t permitted);

struct FileCapabilities {
  uint32_t revision = 0;  // 1, 2 or 3 (VFS_CAP_REVISION_n >> 24)
  bool effective = false;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  std::optional<uint32_t> rootid;  // revision 3 (namespaced) only
};
// nullopt when `value` is not a well-formed vfs_cap_data.
std::optional<FileCapabilities> decode_file_capabilities(std::string_view value);
// "cap_net_bind_service=ep" style text of the permitted set, as getcap prints.
std::string describe_file_capabilities(const FileCapabilities& caps);

}  // namespace slimbuild::util
