// Decoding the security.capability xattr (struct vfs_cap_data from
// linux/capability.h): a little-endian magic word whose top byte is the
// revision (1: 32-bit sets, 2 and 3: 64-bit sets, 3 adds the namespace root
// uid) and whose bit 0 is the effective flag, then permitted/inheritable
// words. A layer carries it as the pax record SCHILY.xattr.security.capability.
#include <slimbuild/audit/audit.hpp>

#include <array>

namespace slimbuild::audit {

namespace {

constexpr std::array<const char*, 41> kNames = {
    "chown",        "dac_override",    "dac_read_search", "fowner",        "fsetid",      "kill",
    "setgid",       "setuid",          "setpcap",         "linux_immutable", "net_bind_service",
    "net_broadcast", "net_admin",      "net_raw",         "ipc_lock",      "ipc_owner",   "sys_module",
    "sys_rawio",    "sys_chroot",      "sys_ptrace",      "sys_pacct",     "sys_admin",   "sys_boot",
    "sys_nice",     "sys_resource",    "sys_time",        "sys_tty_config", "mknod",      "lease",
    "audit_write",  "audit_control",   "setfcap",         "mac_override",  "mac_admin",   "syslog",
    "wake_alarm",   "block_suspend",   "audit_read",      "perfmon",       "bpf",         "checkpoint_restore"};

uint32_t le32(const std::string& s, std::size_t at) {
  auto b = [&](std::size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24;
}

std::string names(uint64_t bits) {
  std::string out;
  for (unsigned i = 0; i < 64; ++i) {
    if (!(bits >> i & 1)) continue;
    if (!out.empty()) out += ",";
    out += i < kNames.size() ? std::string("cap_") + kNames[i] : "cap_" + std::to_string(i);
  }
  return out;
}

}  // namespace

std::string describe_capability(const std::string& raw) {
  if (raw.size() < 4) return "unreadable capability data";
  uint32_t magic = le32(raw, 0);
  uint32_t revision = magic & 0xff000000u;
  bool effective = magic & 1u;
  uint64_t permitted = 0, inheritable = 0;
  if (revision == 0x01000000u && raw.size() >= 12) {
    permitted = le32(raw, 4);
    inheritable = le32(raw, 8);
  } else if ((revision == 0x02000000u && raw.size() >= 20) || (revision == 0x03000000u && raw.size() >= 24)) {
    permitted = le32(raw, 4) | static_cast<uint64_t>(le32(raw, 12)) << 32;
    inheritable = le32(raw, 8) | static_cast<uint64_t>(le32(raw, 16)) << 32;
  } else {
    return "unreadable capability data";
  }
  std::string out;
  // The text form getcap prints: "cap_a,cap_b=ep" (e when effective, p permitted, i inheritable).
  if (permitted) out = names(permitted) + "=" + (effective ? "ep" : "p");
  if (inheritable) out += (out.empty() ? "" : " ") + names(inheritable) + "+i";
  if (revision == 0x03000000u) out += " (namespace root uid " + std::to_string(le32(raw, 20)) + ")";
  return out.empty() ? "empty capability set" : out;
}

}  // namespace slimbuild::audit
