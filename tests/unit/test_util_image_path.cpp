// The image-path rule every stage uses (manifest destinations, rootfs
// entries, the loader's paths in a sysroot, names in a foreign image's tar).
#include <catch2/catch.hpp>

#include <slimbuild/util/image_path.hpp>

using namespace slimbuild::util;

TEST_CASE("util: normalize_image_path cleans, resolves '..' and refuses what is not inside '/'") {
  CHECK(normalize_image_path("/") == "/");
  CHECK(normalize_image_path("//a/./b/") == "/a/b");
  CHECK(normalize_image_path("/a/b/../c") == "/a/c");
  CHECK(normalize_image_path("/a/..") == "/");
  CHECK(normalize_image_path("/a/...") == "/a/...");  // a name, not a parent
  CHECK(normalize_image_path("/../x").error() == ImagePathError::ClimbsOut);
  CHECK(normalize_image_path("/a/../../b").error() == ImagePathError::ClimbsOut);
  CHECK(normalize_image_path("a/b").error() == ImagePathError::NotAbsolute);
  CHECK(normalize_image_path("").error() == ImagePathError::NotAbsolute);
  CHECK(normalize_image_path(std::string("/a\0b", 4)).error() == ImagePathError::ContainsNul);
}

TEST_CASE("util: clamp_image_path reads paths as a chroot does: from '/', '..' stops there") {
  CHECK(clamp_image_path("") == "/");
  CHECK(clamp_image_path("./usr//lib/../bin/") == "/usr/bin");
  CHECK(clamp_image_path("usr/lib") == "/usr/lib");
  CHECK(clamp_image_path("../../escape") == "/escape");
  CHECK(clamp_image_path("/a/../../b") == "/b");
  CHECK(clamp_image_path("/lib/x86_64-linux-gnu/./libc.so.6") == "/lib/x86_64-linux-gnu/libc.so.6");
}
