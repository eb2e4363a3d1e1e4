// File capabilities: names in both directions and the exact vfs_cap_data
// bytes the kernel (and getcap/setcap) use, checked against hand-made values.
#include <catch2/catch.hpp>

#include <slimbuild/util/capabilities.hpp>

using namespace slimbuild::util;

TEST_CASE("util: capability names map to the kernel's bit numbers") {
  CHECK(capability_number("net_bind_service") == 10);
  CHECK(capability_number("CAP_NET_BIND_SERVICE") == 10);
  CHECK(capability_number("Net_Raw") == 13);
  CHECK(capability_number("chown") == 0);
  CHECK(capability_number("checkpoint_restore") == 40);
  CHECK_FALSE(capability_number("net_bind"));
  CHECK_FALSE(capability_number(""));
  CHECK(capability_name(10) == "net_bind_service");
  CHECK(capability_name(63) == "cap_63");
  CHECK(capability_names().size() == 41);
}

TEST_CASE("util: security.capability is a revision 2 vfs_cap_data with the effective flag") {
  std::string v = encode_file_capabilities(uint64_t{1} << 10);
  // magic_etc 0x02000001, permitted[0] = 0x400, inheritable[0] = 0, permitted[1] = 0, inheritable[1] = 0
  const std::string want("\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  CHECK(v == want);
  auto caps = decode_file_capabilities(v);
  REQUIRE(caps);
  CHECK(caps->revision == 2);
  CHECK(caps->effective);
  CHECK(caps->permitted == (uint64_t{1} << 10));
  CHECK(caps->inheritable == 0);
  CHECK(describe_file_capabilities(*caps) == "cap_net_bind_service=ep");

  // High capabilities land in the second word.
  auto high = decode_file_capabilities(encode_file_capabilities((uint64_t{1} << 38) | 1));
  REQUIRE(high);
  CHECK(high->permitted == ((uint64_t{1} << 38) | 1));
  CHECK(describe_file_capabilities(*high) == "cap_chown,cap_perfmon=ep");
}

TEST_CASE("util: malformed capability attributes are not decoded") {
  CHECK_FALSE(decode_file_capabilities(""));
  CHECK_FALSE(decode_file_capabilities(std::string("\x01\x00\x00\x02", 4)));  // v2 needs 20 bytes
  CHECK_FALSE(decode_file_capabilities(std::string(20, '\0')));              // revision 0
  std::string v3("\x00\x00\x00\x03\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xe8\x03\x00\x00", 24);
  auto caps = decode_file_capabilities(v3);
  REQUIRE(caps);
  CHECK(caps->revision == 3);
  CHECK_FALSE(caps->effective);
  CHECK(caps->rootid == 1000u);
  CHECK(describe_file_capabilities(*caps) == "cap_net_bind_service=p");
}
