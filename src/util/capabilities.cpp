// Capability names and the vfs_cap_data encoding; see capabilities.hpp. The
// layout (linux/capability.h): le32 magic_etc = revision | flags, then two
// {le32 permitted, le32 inheritable} pairs (low and high 32 bits), then for
// revision 3 a le32 rootid.
#include <slimbuild/util/capabilities.hpp>

#include <algorithm>
#include <cctype>

namespace slimbuild::util {

namespace {

constexpr uint32_t kRevisionMask = 0xFF000000;
constexpr uint32_t kRevision1 = 0x01000000;
constexpr uint32_t kRevision2 = 0x02000000;
constexpr uint32_t kRevision3 = 0x03000000;
constexpr uint32_t kFlagEffective = 0x000001;

void put_le32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint32_t get_le32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
  return v;
}

}  // namespace

const std::vector<std::string>& capability_names() {
  static const std::vector<std::string> kNames = {
      "chown",          "dac_override",   "dac_read_search", "fowner",         "fsetid",
      "kill",           "setgid",         "setuid",          "setpcap",        "linux_immutable",
      "net_bind_service", "net_broadcast", "net_admin",      "net_raw",        "ipc_lock",
      "ipc_owner",      "sys_module",     "sys_rawio",       "sys_chroot",     "sys_ptrace",
      "sys_pacct",      "sys_admin",      "sys_boot",        "sys_nice",       "sys_resource",
      "sys_time",       "sys_tty_config", "mknod",           "lease",          "audit_write",
      "audit_control",  "setfcap",        "mac_override",    "mac_admin",      "syslog",
      "wake_alarm",     "block_suspend",  "audit_read",      "perfmon",        "bpf",
      "checkpoint_restore"};
  return kNames;
}

std::optional<int> capability_number(std::string_view name) {
  std::string lower;
  for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower.starts_with("cap_")) lower.erase(0, 4);
  const auto& names = capability_names();
  auto it = std::find(names.begin(), names.end(), lower);
  if (it == names.end()) return std::nullopt;
  return static_cast<int>(it - names.begin());
}

std::string capability_name(int number) {
  const auto& names = capability_names();
  if (number >= 0 && static_cast<size_t>(number) < names.size()) return names[static_cast<size_t>(number)];
  return "cap_" + std::to_string(number);
}

std::string encode_file_capabilities(uint64_t permitted) {
  std::string out;
  put_le32(out, kRevision2 | kFlagEffective);
  put_le32(out, static_cast<uint32_t>(permitted & 0xFFFFFFFFu));
  put_le32(out, 0);
  put_le32(out, static_cast<uint32_t>(permitted >> 32));
  put_le32(out, 0);
  return out;
}

std::optional<FileCapabilities> decode_file_capabilities(std::string_view value) {
  if (value.size() < 4) return std::nullopt;
  uint32_t magic = get_le32(value, 0);
  FileCapabilities caps;
  caps.effective = (magic & kFlagEffective) != 0;
  if ((magic & ~kRevisionMask & ~kFlagEffective) != 0) return std::nullopt;
  switch (magic & kRevisionMask) {
    case kRevision1:
      if (value.size() != 12) return std::nullopt;
      caps.revision = 1;
      caps.permitted = get_le32(value, 4);
      caps.inheritable = get_le32(value, 8);
      return caps;
    case kRevision2:
    case kRevision3: {
      bool v3 = (magic & kRevisionMask) == kRevision3;
      if (value.size() != (v3 ? 24u : 20u)) return std::nullopt;
      caps.revision = v3 ? 3 : 2;
      caps.permitted = get_le32(value, 4) | (static_cast<uint64_t>(get_le32(value, 12)) << 32);
      caps.inheritable = get_le32(value, 8) | (static_cast<uint64_t>(get_le32(value, 16)) << 32);
      if (v3) caps.rootid = get_le32(value, 20);
      return caps;
    }
    default: return std::nullopt;
  }
}

std::string describe_file_capabilities(const FileCapabilities& caps) {
  std::string names;
  for (int bit = 0; bit < 64; ++bit) {
    if (!((caps.permitted | caps.inheritable) >> bit & 1)) continue;
    std::string name = capability_name(bit);
    names += (names.empty() ? "" : ",") + (name.starts_with("cap_") ? name : "cap_" + name);
  }
  std::string flags = caps.effective ? "e" : "";
  if (caps.inheritable) flags += "i";
  if (caps.permitted) flags += "p";
  return names.empty() ? "(none)" : names + "=" + flags;
}

}  // namespace slimbuild::util
