// The ARM architecture version a 32-bit ARM ELF was built for, read from its
// .ARM.attributes section (Tag_CPU_arch in the "aeabi" build attributes).
// e_flags only tells hard from soft float, and Raspberry Pi OS's ARMv6
// hard-float binaries would otherwise be labelled linux/arm/v7, which an
// ARMv6 board cannot run. Pure parsing of bytes already read; every length is
// checked against the section size.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slimbuild::trace {

// Tag_CPU_arch (0 = pre-v4 ... 10 = v7, 14 = v8-A, ...), or nullopt when the
// section is absent, malformed or does not say.
std::optional<unsigned> arm_cpu_arch(std::string_view section, bool little_endian);

// OCI variant for a Tag_CPU_arch value: "v5", "v6", "v7" or "v8".
std::string arm_variant(unsigned cpu_arch);

}  // namespace slimbuild::trace
