// `trace --run --write` edits the user's manifest as text: new entries go
// into the existing lists with their indentation (or new lists at the end),
// comments and everything else stay byte for byte, and the result loads.
#include <catch2/catch.hpp>

#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/runtrace/manifest_lines.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>

#include <fstream>

using namespace slimbuild;
using namespace slimbuild::runtrace;

namespace {

// The loader checks that every files: source exists: the sample's sources
// are real, in a private temporary directory.
struct Sample {
  util::TempDir dir{"runtrace-lines"};
  std::string base = dir.path().string();
  Proposal p;
  Sample() {
    std::filesystem::create_directories(base + "/py/json");
    std::ofstream(base + "/app #1.conf") << "x";
    std::ofstream(base + "/helper") << "x";
    p.libraries = {"/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so"};
    p.files = {FileLine{base + "/py/json/", "/usr/lib/py/json/", true, false},
               FileLine{base + "/app #1.conf", "/etc/app #1.conf", false, false}};
    p.binaries = {FileLine{base + "/helper", "/usr/bin/helper", false, true}};
  }
};

const char* kHead = "# my app\nname: app\nbinary: /usr/bin/iconv   # the tool\nuser: {uid: 1000}\n";

}  // namespace

TEST_CASE("runtrace: scalars are quoted only when YAML needs it") {
  CHECK(yaml_scalar("/usr/lib/x.so") == "/usr/lib/x.so");
  CHECK(yaml_scalar("/a b") == "\"/a b\"");
  CHECK(yaml_scalar("/a: b") == "\"/a: b\"");
  CHECK(yaml_scalar("*x") == "\"*x\"");
  CHECK(yaml_scalar("/q\"\\") == "\"/q\\\"\\\\\"");
  CHECK(file_item(FileLine{"/b", "/b", false, true}) == "{src: /b, dest: /b, mode: \"0755\"}");
}

TEST_CASE("runtrace: lists that do not exist yet are appended at the end") {
  Sample s;
  std::string out = add_to_manifest(kHead, s.p);
  CHECK(out.rfind(kHead, 0) == 0);  // the original text is untouched
  CHECK(out.find("\nlibraries:\n  - /usr/lib/x86_64-linux-gnu/gconv/UTF-16.so\n") != std::string::npos);
  CHECK(out.find("\nfiles:\n  - {src: " + s.base + "/py/json/, dest: /usr/lib/py/json/}\n"
                 "  - {src: \"" + s.base + "/app #1.conf\", dest: \"/etc/app #1.conf\"}\n"
                 "  - {src: " + s.base + "/helper, dest: /usr/bin/helper, mode: \"0755\"}\n") != std::string::npos);
  auto m = manifest::parse_manifest(out, "/tmp/m/slimbuild.yml");
  CHECK(m.libraries == std::vector<std::string>{"/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so"});
  REQUIRE(m.files.size() == 3);
  CHECK(m.files[1].src == s.base + "/app #1.conf");
  CHECK(m.files[2].mode == 0755u);
}

TEST_CASE("runtrace: block lists get items with their own indentation, before what follows") {
  std::string text = std::string(kHead) +
                     "libraries:\n"
                     "    # plugins\n"
                     "    - libnss_dns.so.2\n"
                     "\n"
                     "# --- data ---\n"
                     "files:\n"
                     "- src: /etc/hosts\n"
                     "  dest: /etc/hosts\n"
                     "env: {A: b}  # the end\n";
  Sample s;
  std::string out = add_to_manifest(text, s.p);
  CHECK(out.find("    - libnss_dns.so.2\n    - /usr/lib/x86_64-linux-gnu/gconv/UTF-16.so\n\n# --- data ---\n") !=
        std::string::npos);
  CHECK(out.find("  dest: /etc/hosts\n- {src: " + s.base + "/py/json/") != std::string::npos);
  CHECK(out.find("mode: \"0755\"}\nenv: {A: b}  # the end\n") != std::string::npos);
  auto m = manifest::parse_manifest(out, "/tmp/m/slimbuild.yml");
  CHECK(m.libraries.size() == 2);
  CHECK(m.files.size() == 4);
  CHECK(m.env.at("A") == "b");
}

TEST_CASE("runtrace: one-line flow lists get items before the bracket, comments kept") {
  std::string text = std::string(kHead) + "libraries: [libnss_dns.so.2]  # dlopen()ed\nfiles: []\n";
  Sample s;
  std::string out = add_to_manifest(text, s.p);
  CHECK(out.find("libraries: [libnss_dns.so.2, /usr/lib/x86_64-linux-gnu/gconv/UTF-16.so]  # dlopen()ed\n") !=
        std::string::npos);
  CHECK(out.find("files:\n  - {src: " + s.base + "/py/json/") != std::string::npos);
  auto m = manifest::parse_manifest(out, "/tmp/m/slimbuild.yml");
  CHECK(m.libraries.size() == 2);
  CHECK(m.files.size() == 3);
}

TEST_CASE("runtrace: a flow list over several lines is refused with the line and what to do") {
  std::string text = std::string(kHead) + "libraries: [a.so,\n  b.so]\n";
  try {
    add_to_manifest(text, Sample().p);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("line 5") != std::string::npos);
    CHECK(e.hint().find("block list") != std::string::npos);
  }
}

TEST_CASE("runtrace: the rendered lines are the manifest lines, empty for nothing") {
  CHECK(render_lines(Proposal{}).empty());
  std::string lines = render_lines(Sample().p);
  CHECK(lines.rfind("libraries:\n  - /usr/lib/x86_64-linux-gnu/gconv/UTF-16.so\nfiles:\n", 0) == 0);
}
