// DIR:TAG on the command line, one rule for push, inspect, diff and verify.
#include <catch2/catch.hpp>

#include <filesystem>

#include <slimbuild/image/layout_arg.hpp>
#include <slimbuild/util/fs.hpp>

using slimbuild::image::split_layout_arg;
namespace fs = std::filesystem;

TEST_CASE("image: split_layout_arg takes a tag only after an existing directory") {
  slimbuild::util::TempDir tmp{"layout-arg"};
  fs::create_directories(tmp.path() / "img");
  fs::create_directories(tmp.path() / "odd:name");
  std::string img = (tmp.path() / "img").string();

  auto plain = split_layout_arg(img);
  CHECK(plain.dir == img);
  CHECK_FALSE(plain.tag);

  auto tagged = split_layout_arg(img + ":1.4.2");
  CHECK(tagged.dir == img);
  CHECK(tagged.tag == "1.4.2");

  // A directory with ':' in its name wins as given.
  auto odd = split_layout_arg((tmp.path() / "odd:name").string());
  CHECK(odd.dir == tmp.path() / "odd:name");
  CHECK_FALSE(odd.tag);

  // No split: a missing directory, an empty tag, a '/' after the colon (a
  // registry host:port), a leading colon.
  for (std::string arg : {(tmp.path() / "missing").string() + ":1", img + ":", std::string("localhost:5000/app"),
                          std::string(":tag")}) {
    INFO(arg);
    auto r = split_layout_arg(arg);
    CHECK(r.dir == arg);
    CHECK_FALSE(r.tag);
  }
}
