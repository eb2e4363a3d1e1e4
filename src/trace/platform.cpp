// Architecture facts keyed by e_machine, class and byte order: OCI platform
// names (as Go's GOARCH spells them, which is what registries and runtimes
// match on), Debian multiarch triplets and $PLATFORM tokens. One table so the
// three cannot disagree.
#include <slimbuild/trace/platform.hpp>

#include "trace/arm_attributes.hpp"
#include <slimbuild/util/error.hpp>

namespace slimbuild::trace {

namespace {

constexpr uint16_t kEm386 = 3, kEmMips = 8, kEmPpc = 20, kEmPpc64 = 21, kEmS390 = 22, kEmArm = 40, kEmX86_64 = 62,
                   kEmAarch64 = 183, kEmRiscv = 243, kEmLoongarch = 258;
// e_flags bits that tell Debian's armhf (hard float, ARMv7) from armel (soft float, ARMv5TE).
constexpr uint32_t kEfArmAbiFloatHard = 0x400, kEfArmAbiFloatSoft = 0x200;

struct Arch {
  std::string oci, variant, triplet, platform;
};

bool arm_soft_float(const ElfInfo& e) {
  return (e.flags & kEfArmAbiFloatSoft) != 0 && (e.flags & kEfArmAbiFloatHard) == 0;
}

Arch lookup(const ElfInfo& e) {
  bool is64 = e.elf_class == ElfClass::Elf64;
  bool le = e.little_endian;
  switch (e.machine) {
    case kEmX86_64:
      if (is64) return {"amd64", "", "x86_64-linux-gnu", "x86_64"};
      return {"", "", "x86_64-linux-gnux32", "x86_64"};  // x32: no OCI platform
    case kEmAarch64: return {"arm64", "v8", le ? "aarch64-linux-gnu" : "aarch64_be-linux-gnu", "aarch64"};
    case kEmArm: {
      // The build attributes say which architecture; without them the float
      // ABI is the best signal: Debian armel targets ARMv5TE, armhf ARMv7.
      bool soft = arm_soft_float(e);
      std::string v = e.arm_cpu_arch ? arm_variant(*e.arm_cpu_arch) : soft ? "v5" : "v7";
      return {"arm", v, soft ? "arm-linux-gnueabi" : "arm-linux-gnueabihf", v + "l"};
    }
    case kEm386: return {"386", "", "i386-linux-gnu", "i686"};
    case kEmPpc64:
      if (le) return {"ppc64le", "", "powerpc64le-linux-gnu", "ppc64le"};
      return {"ppc64", "", "powerpc64-linux-gnu", "ppc64"};
    case kEmPpc: return {"", "", "powerpc-linux-gnu", "ppc"};
    case kEmS390:
      if (is64) return {"s390x", "", "s390x-linux-gnu", "s390x"};
      return {"", "", "s390-linux-gnu", "s390"};
    case kEmRiscv:
      if (is64) return {"riscv64", "", "riscv64-linux-gnu", "riscv64"};
      return {"", "", "riscv32-linux-gnu", "riscv32"};
    case kEmMips:
      if (is64) return {le ? "mips64le" : "mips64", "", le ? "mips64el-linux-gnuabi64" : "mips64-linux-gnuabi64", "mips64"};
      return {le ? "mipsle" : "mips", "", le ? "mipsel-linux-gnu" : "mips-linux-gnu", "mips"};
    case kEmLoongarch:
      if (is64) return {"loong64", "", "loongarch64-linux-gnu", "loongarch64"};
      return {};
    default: return {};
  }
}

}  // namespace

std::string machine_name(uint16_t machine) {
  switch (machine) {
    case kEmX86_64: return "x86-64";
    case kEmAarch64: return "AArch64";
    case kEmArm: return "ARM";
    case kEm386: return "i386";
    case kEmPpc64: return "PowerPC64";
    case kEmPpc: return "PowerPC";
    case kEmS390: return "S/390";
    case kEmRiscv: return "RISC-V";
    case kEmMips: return "MIPS";
    case kEmLoongarch: return "LoongArch";
    default: return "EM_" + std::to_string(machine);
  }
}

std::string describe_abi(const ElfInfo& elf) {
  return std::string(elf.elf_class == ElfClass::Elf64 ? "64-bit " : "32-bit ") +
         (elf.little_endian ? "little-endian " : "big-endian ") + machine_name(elf.machine);
}

bool compatible_abi(const ElfInfo& binary, const ElfInfo& candidate) {
  if (binary.elf_class != candidate.elf_class || binary.little_endian != candidate.little_endian ||
      binary.machine != candidate.machine)
    return false;
  // armel and armhf libraries cannot be mixed; the loader rejects the other ABI.
  if (binary.machine == kEmArm && arm_soft_float(binary) != arm_soft_float(candidate)) return false;
  return true;
}

std::string multiarch_triplet(const ElfInfo& elf) { return lookup(elf).triplet; }

std::string platform_token(const ElfInfo& elf) {
  std::string p = lookup(elf).platform;
  return p.empty() ? "unknown" : p;
}

Platform oci_platform(const ElfInfo& elf) {
  Arch a = lookup(elf);
  if (a.oci.empty())
    throw Error("no OCI platform for " + describe_abi(elf) + " binaries",
                "slimbuild supports amd64, arm64, arm, 386, ppc64le, ppc64, s390x, riscv64, mips*, loong64");
  return {a.oci, a.variant};
}

}  // namespace slimbuild::trace
