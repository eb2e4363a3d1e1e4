// scan_deflate (see the header): a bit reader over the buffer, canonical
// Huffman codes decoded through a 2^10-entry table (longer codes, rare by
// construction, bit by bit), and the three block types of RFC 1951. The
// validity rules are zlib's: over-subscribed or (but for a single code)
// incomplete codes, more than 286 length or 30 distance codes, a missing
// end-of-block code, a repeat with nothing to repeat, LEN != ~NLEN, symbols
// 286/287 and distances 30/31 are all errors.
#include "layer/deflate_scan.hpp"

#include <array>
#include <bit>
#include <cstring>

namespace slimbuild::layer {

namespace {

constexpr unsigned kMaxBits = 15;
constexpr unsigned kTableBits = 10;
constexpr unsigned kMaxSymbols = 288;

constexpr std::array<uint16_t, 29> kLengthBase = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                                  31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<uint8_t, 29> kLengthExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<uint16_t, 30> kDistanceBase = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,
                                                    33,  49,  65,  97,  129, 193,  257,  385,  513,  769,
                                                    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<uint8_t, 30> kDistanceExtra = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                    6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
// The order in which a dynamic block sends the code length code lengths.
constexpr std::array<uint8_t, 19> kCodeLengthOrder = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

// LSB-first bits. After refill() at least 56 are buffered; bytes past the
// end read as zeros, and refill() fails once that could have been consumed.
class BitReader {
 public:
  BitReader(const unsigned char* data, std::size_t size) : data_(data), size_(size) {}

  [[nodiscard]] bool refill() {
    if (pos_ + 8 <= size_) {
      uint64_t word;
      std::memcpy(&word, data_ + pos_, 8);
      if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
      buf_ |= word << count_;
      pos_ += (63 - count_) >> 3;
      count_ |= 56;
      return true;
    }
    while (count_ <= 56) {
      uint64_t byte = pos_ < size_ ? data_[pos_] : 0;
      ++pos_;
      buf_ |= byte << count_;
      count_ += 8;
    }
    return pos_ <= size_ + 8;  // beyond: at least 8 bytes of the zeros were needed
  }
  uint32_t peek(unsigned n) const { return static_cast<uint32_t>(buf_ & ((uint64_t{1} << n) - 1)); }
  void drop(unsigned n) {
    buf_ >>= n;
    count_ -= n;
  }
  uint32_t take(unsigned n) {
    uint32_t v = peek(n);
    drop(n);
    return v;
  }
  uint64_t position() const { return 8 * static_cast<uint64_t>(pos_) - count_; }  // bits consumed
  // To a byte offset, dropping what is buffered.
  void seek(std::size_t byte) {
    pos_ = byte;
    buf_ = 0;
    count_ = 0;
  }

 private:
  const unsigned char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  uint64_t buf_ = 0;
  unsigned count_ = 0;
};

class Huffman {
 public:
  // False for a code zlib refuses (see the top of the file). `single`: one
  // code of length 1 may stand alone (the literal/length and distance codes).
  bool build(const uint8_t* lengths, unsigned n, bool single = true) {
    count_.fill(0);
    for (unsigned s = 0; s < n; ++s) ++count_[lengths[s]];
    unsigned max = kMaxBits;
    while (max > 0 && count_[max] == 0) --max;
    fast_.fill(0);
    if (max == 0) return true;  // no codes: every symbol decodes as invalid
    int left = 1;
    for (unsigned len = 1; len <= kMaxBits; ++len) {
      left = (left << 1) - count_[len];
      if (left < 0) return false;  // over-subscribed
    }
    if (left > 0 && (!single || max != 1)) return false;  // incomplete
    std::array<uint16_t, kMaxBits + 2> offset{};
    for (unsigned len = 1; len <= kMaxBits; ++len) offset[len + 1] = static_cast<uint16_t>(offset[len] + count_[len]);
    for (unsigned s = 0; s < n; ++s)
      if (lengths[s]) symbol_[offset[lengths[s]]++] = static_cast<uint16_t>(s);
    // Canonical codes in (length, symbol) order; the short ones into the table, bit-reversed.
    unsigned code = 0, i = 0;
    for (unsigned len = 1; len <= kTableBits; ++len, code <<= 1)
      for (unsigned k = 0; k < count_[len]; ++k, ++code, ++i) {
        unsigned reversed = 0;
        for (unsigned b = 0; b < len; ++b) reversed |= ((code >> b) & 1u) << (len - 1 - b);
        auto entry = static_cast<uint16_t>(symbol_[i] << 4 | len);
        for (unsigned fill = reversed; fill < (1u << kTableBits); fill += 1u << len) fast_[fill] = entry;
      }
    return true;
  }

  // The next symbol, or -1 where no code matches. Needs 15 buffered bits.
  int decode(BitReader& in) const {
    if (uint16_t e = fast_[in.peek(kTableBits)]) {
      in.drop(e & 15u);
      return e >> 4;
    }
    uint32_t bits = in.peek(kMaxBits);
    int code = 0, first = 0, index = 0;
    for (unsigned len = 1; len <= kMaxBits; ++len) {
      code |= static_cast<int>((bits >> (len - 1)) & 1u);
      int count = count_[len];
      if (code - count < first) {
        in.drop(len);
        return symbol_[static_cast<unsigned>(index + (code - first))];
      }
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    return -1;
  }

 private:
  std::array<uint16_t, 1u << kTableBits> fast_{};  // symbol << 4 | length; 0: longer (or no) code
  std::array<uint16_t, kMaxBits + 1> count_{};
  std::array<uint16_t, kMaxSymbols> symbol_{};
};

struct FixedCodes {
  Huffman litlen, distance;
  FixedCodes() {
    std::array<uint8_t, kMaxSymbols> l{};
    for (unsigned s = 0; s < kMaxSymbols; ++s) l[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
    litlen.build(l.data(), kMaxSymbols);
    std::array<uint8_t, 32> d;  // 30 and 31 have codes but are invalid (scan_symbols refuses them)
    d.fill(5);
    distance.build(d.data(), 32);
  }
};

// Lengths for a dynamic block's two codes (RFC 1951 3.2.7).
bool read_dynamic(BitReader& in, Huffman& litlen, Huffman& distance) {
  if (!in.refill()) return false;
  unsigned nlen = in.take(5) + 257, ndist = in.take(5) + 1, ncode = in.take(4) + 4;
  if (nlen > 286 || ndist > 30) return false;
  std::array<uint8_t, 19> code_lengths{};
  for (unsigned i = 0; i < ncode; ++i) {
    if (!in.refill()) return false;
    code_lengths[kCodeLengthOrder[i]] = static_cast<uint8_t>(in.take(3));
  }
  Huffman lencode;
  if (!lencode.build(code_lengths.data(), 19, false)) return false;
  std::array<uint8_t, 286 + 30> lengths{};
  for (unsigned i = 0; i < nlen + ndist;) {
    if (!in.refill()) return false;
    int sym = lencode.decode(in);
    if (sym < 0) return false;
    if (sym < 16) {
      lengths[i++] = static_cast<uint8_t>(sym);
      continue;
    }
    uint8_t value = 0;
    unsigned repeat;
    if (sym == 16) {
      if (i == 0) return false;
      value = lengths[i - 1];
      repeat = 3 + in.take(2);
    } else {
      repeat = sym == 17 ? 3 + in.take(3) : 11 + in.take(7);
    }
    if (i + repeat > nlen + ndist) return false;
    while (repeat--) lengths[i++] = value;
  }
  if (lengths[256] == 0) return false;  // no end-of-block code
  return litlen.build(lengths.data(), nlen) && distance.build(lengths.data() + nlen, ndist);
}

// The symbols of one Huffman block; `output` grows by what they stand for.
bool scan_symbols(BitReader& in, const Huffman& litlen, const Huffman& distance, uint64_t& output) {
  for (;;) {
    if (!in.refill()) return false;  // 56 bits: a code, length extra, a code, distance extra
    int sym = litlen.decode(in);
    if (sym < 0) return false;
    if (sym < 256) {
      ++output;
      continue;
    }
    if (sym == 256) return true;
    unsigned l = static_cast<unsigned>(sym - 257);
    if (l >= kLengthBase.size()) return false;
    unsigned length = kLengthBase[l] + in.take(kLengthExtra[l]);
    int d = distance.decode(in);
    if (d < 0 || d >= static_cast<int>(kDistanceBase.size())) return false;
    uint64_t back = kDistanceBase[static_cast<unsigned>(d)] + in.take(kDistanceExtra[static_cast<unsigned>(d)]);
    if (back > output) return false;  // before the start of the stream
    output += length;
  }
}

}  // namespace

std::optional<DeflateExtent> scan_deflate(const unsigned char* data, std::size_t size) {
  static const FixedCodes fixed;
  BitReader in(data, size);
  Huffman litlen, distance;
  DeflateExtent extent;
  for (bool last = false; !last;) {
    if (!in.refill()) return std::nullopt;
    extent.final_block = in.position();
    last = in.take(1) != 0;
    switch (in.take(2)) {
      case 0: {  // stored: to the byte boundary, LEN, NLEN, LEN bytes
        std::size_t at = static_cast<std::size_t>((in.position() + 7) / 8);
        if (at > size || size - at < 4) return std::nullopt;
        unsigned len = data[at] | data[at + 1] << 8, nlen = data[at + 2] | data[at + 3] << 8;
        if (len != (~nlen & 0xffffu) || size - at - 4 < len) return std::nullopt;
        in.seek(at + 4 + len);
        extent.output += len;
        break;
      }
      case 1:
        if (!scan_symbols(in, fixed.litlen, fixed.distance, extent.output)) return std::nullopt;
        break;
      case 2:
        if (!read_dynamic(in, litlen, distance) || !scan_symbols(in, litlen, distance, extent.output))
          return std::nullopt;
        break;
      default:
        return std::nullopt;
    }
  }
  extent.end = in.position();
  if (extent.end > 8 * static_cast<uint64_t>(size)) return std::nullopt;
  return extent;
}

}  // namespace slimbuild::layer
