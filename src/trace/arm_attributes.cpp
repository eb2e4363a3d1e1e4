// ARM build attributes ("ELF for the ARM Architecture", build attributes
// addendum): 'A', then subsections [u32 length, vendor NUL, then
// sub-subsections [u8 tag, u32 size, attributes]]. Attributes are ULEB128
// tags; tags 4, 5 and 67 and odd tags above 32 carry NUL-terminated strings,
// Tag_compatibility (32) a number and a string, the others a ULEB128 number.
#include "trace/arm_attributes.hpp"

#include <cstdint>

namespace slimbuild::trace {

namespace {

constexpr unsigned kTagFile = 1, kTagCpuRawName = 4, kTagCpuName = 5, kTagCpuArch = 6, kTagCompatibility = 32,
                   kTagConformance = 67;

class Cursor {
 public:
  Cursor(std::string_view data, bool little) : d_(data), little_(little) {}
  bool done() const { return pos_ >= d_.size(); }
  size_t pos() const { return pos_; }

  std::optional<uint32_t> u32() {
    if (d_.size() - pos_ < 4) return std::nullopt;
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i)
      v |= static_cast<uint32_t>(static_cast<unsigned char>(d_[pos_ + (little_ ? i : 3 - i)])) << (8 * i);
    pos_ += 4;
    return v;
  }
  std::optional<uint64_t> uleb() {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && pos_ < d_.size(); shift += 7) {
      auto byte = static_cast<unsigned char>(d_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    return std::nullopt;
  }
  bool skip_string() {
    size_t nul = d_.find('\0', pos_);
    if (nul == std::string_view::npos) return false;
    pos_ = nul + 1;
    return true;
  }

 private:
  std::string_view d_;
  bool little_;
  size_t pos_ = 0;
};

std::optional<unsigned> cpu_arch_in_attributes(std::string_view attrs, bool little) {
  Cursor c(attrs, little);
  while (!c.done()) {
    auto tag = c.uleb();
    if (!tag) return std::nullopt;
    if (*tag == kTagCpuArch) {
      auto v = c.uleb();
      return v && *v < 64 ? std::optional<unsigned>(static_cast<unsigned>(*v)) : std::nullopt;
    }
    bool ok = true;
    if (*tag == kTagCpuRawName || *tag == kTagCpuName || *tag == kTagConformance)
      ok = c.skip_string();
    else if (*tag == kTagCompatibility)
      ok = c.uleb() && c.skip_string();
    else if (*tag > 32 && *tag % 2 == 1)
      ok = c.skip_string();
    else
      ok = c.uleb().has_value();
    if (!ok) return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<unsigned> arm_cpu_arch(std::string_view section, bool little_endian) {
  if (section.empty() || section[0] != 'A') return std::nullopt;
  section.remove_prefix(1);
  while (section.size() >= 4) {
    Cursor c(section, little_endian);
    uint32_t length = *c.u32();
    if (length < 4 || length > section.size()) return std::nullopt;
    std::string_view sub = section.substr(4, length - 4);
    section.remove_prefix(length);
    size_t nul = sub.find('\0');
    if (nul == std::string_view::npos || sub.substr(0, nul) != "aeabi") continue;
    sub.remove_prefix(nul + 1);
    while (sub.size() >= 5) {
      Cursor s(sub.substr(1), little_endian);
      uint32_t size = *s.u32();
      if (size < 5 || size > sub.size()) return std::nullopt;
      if (static_cast<unsigned char>(sub[0]) == kTagFile)
        if (auto arch = cpu_arch_in_attributes(sub.substr(5, size - 5), little_endian)) return arch;
      sub.remove_prefix(size);
    }
  }
  return std::nullopt;
}

std::string arm_variant(unsigned cpu_arch) {
  // 0-5: pre-v4 .. v5TEJ; 6-9, 11, 12: v6 family (incl. v6-M); 10, 13: v7; 14+: v8 and later.
  if (cpu_arch <= 5) return "v5";
  if (cpu_arch == 10 || cpu_arch == 13) return "v7";
  if (cpu_arch >= 14) return "v8";
  return "v6";
}

}  // namespace slimbuild::trace
