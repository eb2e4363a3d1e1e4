// What the loader and the OCI image config need to know about an ELF's
// architecture: the Debian multiarch triplet (what $LIB expands to and where
// the default libraries live), the $PLATFORM token, a human name for error
// messages, and whether a candidate library is loadable by a given binary
// (same class, byte order and machine, as glibc's open_verify checks).
#pragma once

#include <string>

#include <slimbuild/trace/elf_reader.hpp>

namespace slimbuild::trace {

// "x86_64-linux-gnu", "aarch64-linux-gnu", "arm-linux-gnueabihf", ...;
// empty when the architecture has no Debian multiarch name.
std::string multiarch_triplet(const ElfInfo& elf);

// The value substituted for $PLATFORM. glibc uses the kernel's AT_PLATFORM,
// which depends on the CPU the image later runs on (e.g. "haswell" on some
// x86-64 hosts); the architecture's base name is the portable choice.
std::string platform_token(const ElfInfo& elf);

// "x86-64", "AArch64", "ARM", ... for messages ("EM_<n>" when unknown).
std::string machine_name(uint16_t machine);

// "64-bit little-endian x86-64" for messages.
std::string describe_abi(const ElfInfo& elf);

// True if the loader would accept `candidate` for a process running `binary`.
bool compatible_abi(const ElfInfo& binary, const ElfInfo& candidate);

// OCI platform of an ELF: architecture ("amd64", "arm64", "arm", "386",
// "ppc64le", "s390x", "riscv64", ...) and variant ("v7", "v8", or empty).
struct Platform {
  std::string architecture;
  std::string variant;
};
Platform oci_platform(const ElfInfo& elf);

}  // namespace slimbuild::trace
