// One test per class of manifest error: each asserts the exact
// file:line:column the user is sent to and the phrases that tell them what
// is wrong and what to do.
#include "unit/test_manifest_fixture.hpp"

using namespace manifest_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// The three required keys, valid, for tests that break something else.
const std::string kBase = "name: hello\nbinary: build/hello\nuser: {uid: 65532}\n";

void check_at(const ManifestError& e, const Project& p, int line, int column) {
  INFO(e.what());
  CHECK(e.where().file == p.manifest_path().string());
  CHECK(e.where().line == line);
  CHECK(e.where().column == column);
  CHECK_THAT(e.what(), StartsWith(p.manifest_path().string() + ":" + std::to_string(line) + ":" +
                                  std::to_string(column) + ": "));
}

}  // namespace

TEST_CASE("manifest: unknown key suggests the close one at its line and column") {
  Project p;
  auto e = p.error(kBase + "entyrpoint: [/app/hello]\n");
  check_at(e, p, 4, 1);
  CHECK_THAT(e.what(), Contains("unknown key 'entyrpoint'; did you mean 'entrypoint'?"));

  e = p.error(kBase + "Timezone: UTC\n");  // case-insensitive match
  check_at(e, p, 4, 1);
  CHECK_THAT(e.what(), Contains("did you mean 'timezone'?"));

  e = p.error(kBase + "frobnicate: 1\n");  // nothing close: list what is allowed
  check_at(e, p, 4, 1);
  CHECK_THAT(e.what(), Contains("unknown key 'frobnicate'"));
  CHECK_THAT(e.hint(), Contains("'entrypoint'"));
  CHECK_THAT(e.hint(), Contains("'sysroot'"));
}

TEST_CASE("manifest: unknown key nested in files[1]") {
  Project p;
  auto e = p.error(kBase +
                   "files:\n"
                   "  - src: config\n"
                   "    dest: /etc/a/\n"
                   "  - src: config/app.conf\n"
                   "    dset: /etc/b\n");
  check_at(e, p, 8, 5);
  CHECK_THAT(e.what(), Contains("unknown key 'dset' in files[1]; did you mean 'dest'?"));
  // The suggestion explains the missing dest; no second error for it.
  CHECK_THAT(e.what(), !Contains("missing"));

  e = p.error(kBase + "files:\n  - src: config\n    dest: /etc/a/\n  - src: config/app.conf\n");
  check_at(e, p, 7, 5);
  CHECK_THAT(e.what(), Contains("files[1] is missing the required key 'dest'"));
}

TEST_CASE("manifest: duplicate keys are refused and not silently merged") {
  Project p;
  auto e = p.error(kBase + "name: other\n");
  check_at(e, p, 4, 1);
  CHECK_THAT(e.what(), Contains("duplicate key 'name' (first set at line 1)"));

  e = p.error(kBase + "env:\n  A: 1\n  B: 2\n  A: 3\n");
  check_at(e, p, 7, 3);
  CHECK_THAT(e.what(), Contains("duplicate key 'A' in env (first set at line 5)"));
}

TEST_CASE("manifest: wrong types name what was expected and what was found") {
  Project p;
  auto e = p.error(kBase + "entrypoint: {a: b}\n");
  check_at(e, p, 4, 13);
  CHECK_THAT(e.what(), Contains("entrypoint must be a list of strings, got a mapping"));

  e = p.error(kBase + "entrypoint: []\n");
  check_at(e, p, 4, 13);
  CHECK_THAT(e.what(), Contains("entrypoint and cmd are both empty"));

  e = p.error(kBase + "cmd: --serve\n");
  check_at(e, p, 4, 6);
  CHECK_THAT(e.what(), Contains("cmd must be a list of strings, got the string '--serve'"));
  CHECK_THAT(e.hint(), Contains("cmd: [--serve]"));

  e = p.error(kBase + "entrypoint: [/app/hello, [x]]\n");
  check_at(e, p, 4, 26);
  CHECK_THAT(e.what(), Contains("entrypoint[1] must be a string, got a list"));

  e = p.error("name: hello\nbinary: build/hello\nuser: 65532\n");
  check_at(e, p, 3, 7);
  CHECK_THAT(e.what(), Contains("user must be a mapping {name, uid, gid}, got the number 65532"));

  e = p.error("name: hello\nbinary: build/hello\nuser: {uid: lots}\n");
  check_at(e, p, 3, 13);
  CHECK_THAT(e.what(), Contains("user.uid must be an integer, got the string 'lots'"));

  e = p.error(kBase + "env: [A=1]\n");
  check_at(e, p, 4, 6);
  CHECK_THAT(e.what(), Contains("env must be a mapping of names to strings, got a list"));

  e = p.error(kBase + "files: {src: config, dest: /x}\n");
  check_at(e, p, 4, 8);
  CHECK_THAT(e.what(), Contains("files must be a list of {src, dest} mappings, got a mapping"));

  e = p.error(kBase + "ports: 8080\n");
  CHECK_THAT(e.what(), Contains("ports must be a list of ports, got the number 8080"));

  e = p.error(kBase + "labels: {a: [1]}\n");
  check_at(e, p, 4, 13);
  e = p.error(kBase + "labels: {\xc3\xa9: 1, a: [1]}\n");
  check_at(e, p, 4, 20);  // bytes: the é is two
  CHECK_THAT(e.what(), Contains("labels.a must be a string, got a list"));

  e = p.error(kBase + "env: {EMPTY: }\n");
  check_at(e, p, 4, 7);
  CHECK_THAT(e.what(), Contains("env.EMPTY has no value"));
}

TEST_CASE("manifest: uid 0 is refused at the uid key") {
  Project p;
  auto e = p.error("name: hello\nbinary: build/hello\nuser:\n  name: app\n  uid: 0\n");
  check_at(e, p, 5, 3);
  CHECK_THAT(e.what(), Contains("user.uid is 0, and root is refused: images run as a non-root user"));

  e = p.error("name: hello\nbinary: build/hello\nuser: {name: root, uid: 5}\n");
  check_at(e, p, 3, 14);
  CHECK_THAT(e.what(), Contains("user.name may not be 'root'"));

  e = p.error("name: hello\nbinary: build/hello\nuser: {uid: -3}\n");
  CHECK_THAT(e.what(), Contains("user.uid must be between 1 and 2147483646, got -3"));
  e = p.error("name: hello\nbinary: build/hello\nuser: {uid: 99999999999999999999999}\n");
  CHECK_THAT(e.what(), Contains("user.uid must be between 1 and 2147483646, got 99999999999999999999999"));
}

TEST_CASE("manifest: gid 0 is refused at the gid key") {
  Project p;
  auto e = p.error("name: hello\nbinary: build/hello\nuser:\n  uid: 1000\n  gid: 0\n");
  check_at(e, p, 5, 3);
  CHECK_THAT(e.what(), Contains("user.gid is 0, and root is refused"));
}

TEST_CASE("manifest: relative destinations are refused") {
  Project p;
  auto e = p.error(kBase + "files:\n  - src: config\n    dest: etc/hello\n");
  check_at(e, p, 6, 11);
  CHECK_THAT(e.what(), Contains("files[0].dest must be an absolute path inside the image, got 'etc/hello'"));
  CHECK_THAT(e.hint(), Contains("/etc/hello"));

  e = p.error(kBase + "workdir: srv\n");
  check_at(e, p, 4, 10);
  CHECK_THAT(e.what(), Contains("workdir must be an absolute path"));

  e = p.error(kBase + "libraries: [lib/libfoo.so]\n");
  check_at(e, p, 4, 13);
  CHECK_THAT(e.what(), Contains("libraries entry must be an absolute path"));
  CHECK_THAT(e.hint(), Contains("soname"));
}

TEST_CASE("manifest: destinations may not climb out of the image root") {
  Project p;
  auto e = p.error(kBase + "files:\n  - src: config/app.conf\n    dest: /../../etc/x\n");
  check_at(e, p, 6, 11);
  CHECK_THAT(e.what(), Contains("files[0].dest may not climb out of the image root: '/../../etc/x'"));

  e = p.error("name: hello\nbinary: {path: build/hello, dest: /app/../../x}\nuser: {uid: 1}\n");
  check_at(e, p, 2, 35);
  CHECK_THAT(e.what(), Contains("binary.dest may not climb out of the image root"));

  e = p.error(kBase + "files: [{src: config, dest: \"/etc/a\\nb\"}]\n");
  CHECK_THAT(e.what(), Contains("files[0].dest must not contain NUL or newline"));
}

TEST_CASE("manifest: missing required keys are reported at the enclosing mapping") {
  Project p;
  auto e = p.error("image: r.example/x:1\n");
  check_at(e, p, 1, 1);
  CHECK_THAT(e.what(), Contains("the manifest is missing the required key 'name'"));
  CHECK_THAT(e.what(), Contains("missing the required key 'binary'"));
  CHECK_THAT(e.what(), Contains("missing the required key 'user'"));

  e = p.error("name: hello\nbinary:\n  dest: /app/x\nuser:\n  name: app\n");
  check_at(e, p, 3, 3);
  CHECK_THAT(e.what(), Contains("binary is missing the required key 'path'"));
  CHECK_THAT(e.what(), Contains(":5:3: user is missing the required key 'uid'"));

  e = p.error("name:\nbinary: build/hello\nuser: {uid: 1}\n");
  check_at(e, p, 1, 1);
  CHECK_THAT(e.what(), Contains("name has no value"));
  CHECK_THAT(e.hint(), Contains("name: hello"));
}

TEST_CASE("manifest: the binary must exist and be a regular file") {
  Project p;
  auto e = p.error("name: hello\nbinary:\n  path: build/nope\nuser: {uid: 1}\n");
  check_at(e, p, 3, 9);
  CHECK_THAT(e.what(), Contains("binary.path 'build/nope' does not exist (looked for " +
                                (p.dir / "build/nope").string() + ")"));
  CHECK_THAT(e.hint(), Contains("relative paths are resolved against the manifest's directory"));

  e = p.error("name: hello\nbinary: build\nuser: {uid: 1}\n");
  check_at(e, p, 2, 9);
  CHECK_THAT(e.what(), Contains("binary 'build' is not a regular file"));

  e = p.error(kBase + "files: [{src: nothing/here, dest: /x}]\n");
  check_at(e, p, 4, 15);
  CHECK_THAT(e.what(), Contains("files[0].src 'nothing/here' does not exist"));
}

TEST_CASE("manifest: bad file modes") {
  Project p;
  auto mode_error = [&](const std::string& mode) {
    return p.error(kBase + "files:\n  - src: config/app.conf\n    dest: /etc/app.conf\n    mode: " + mode + "\n");
  };
  auto e = mode_error("\"0648\"");
  check_at(e, p, 7, 11);
  CHECK_THAT(e.what(), Contains("files[0].mode must be an octal permission string like \"0644\", got '0648'"));
  e = mode_error("u+rwx");
  check_at(e, p, 7, 11);
  CHECK_THAT(e.hint(), Contains("symbolic modes"));
  e = mode_error("\"17777\"");
  CHECK_THAT(e.what(), Contains("is more than 07777"));
  e = mode_error("[1]");
  CHECK_THAT(e.what(), Contains("files[0].mode must be a string, got a list"));
}

TEST_CASE("manifest: setuid and setgid and sticky modes are never allowed") {
  Project p;
  for (const char* mode : {"\"4755\"", "02755", "\"1777\""}) {
    auto e = p.error(kBase + "files: [{src: config/app.conf, dest: /x, mode: " + mode + "}]\n");
    check_at(e, p, 4, 48);
    CHECK_THAT(e.what(), Contains("sets the setuid, setgid or sticky bit"));
    CHECK_THAT(e.what(), Contains("never allowed"));
  }
}

TEST_CASE("manifest: unknown time zones get a suggestion from the database") {
  Project p;
  const std::string base = kBase + "sysroot: ../sysroot\n";
  auto e = p.error(base + "tzdata: [UTC, Europe/Lubljana]\n");
  check_at(e, p, 5, 15);
  CHECK_THAT(e.what(), Contains("tzdata[1] is an unknown time zone 'Europe/Lubljana'; did you mean 'Europe/Ljubljana'?"));

  e = p.error(base + "timezone: Berlin\n");
  check_at(e, p, 5, 11);
  CHECK_THAT(e.what(), Contains("timezone is an unknown time zone 'Berlin'; did you mean 'Europe/Berlin'?"));

  e = p.error(base + "tzdata: UTC\n");
  check_at(e, p, 5, 9);
  CHECK_THAT(e.what(), Contains("tzdata must be true, false or a list of zone names, got the string 'UTC'"));
  CHECK_THAT(e.hint(), Contains("tzdata: [UTC]"));
  e = p.error(base + "tzdata: off\n");
  CHECK_THAT(e.hint(), Contains("write true or false"));

  e = p.error(base + "timezone: Europe\n");
  CHECK_THAT(e.what(), Contains("names a directory of zones, not a zone"));

  e = p.error(base + "tzdata: [zone.tab]\n");  // a file, but not a TZif zone
  CHECK_THAT(e.what(), Contains("is not a time zone name"));

  e = p.error(base + "tzdata: [Europe/Nowhere]\n");
  CHECK_THAT(e.what(), Contains("is an unknown time zone 'Europe/Nowhere'"));

  e = p.error(base + "timezone: ../../etc/passwd\n");
  check_at(e, p, 5, 11);
  CHECK_THAT(e.what(), Contains("is not a time zone name"));

  e = p.error(kBase + "sysroot: config\ntzdata: true\n");
  check_at(e, p, 5, 9);
  CHECK_THAT(e.what(), Contains("tzdata is true, but"));
  CHECK_THAT(e.what(), Contains("usr/share/zoneinfo does not exist"));
}

TEST_CASE("manifest: bad ports") {
  Project p;
  auto e = p.error(kBase + "ports: [8080, 70000]\n");
  check_at(e, p, 4, 15);
  CHECK_THAT(e.what(), Contains("ports[1] must be a port number 1-65535"));
  e = p.error(kBase + "ports: [\"80/http\"]\n");
  CHECK_THAT(e.what(), Contains("ports[0] has an unknown protocol in '80/http'; use tcp, udp or sctp"));
  e = p.error(kBase + "ports: [0, http]\n");
  CHECK_THAT(e.what(), Contains(":4:9: ports[0] must be a port number"));
  CHECK_THAT(e.what(), Contains(":4:12: ports[1] must be a port number"));
}

TEST_CASE("manifest: YAML syntax errors carry file:line:column") {
  Project p;
  auto e = p.error("name: hello\nentrypoint: [/app/hello\nuser: {uid: 1}\n");
  CHECK(e.where().line == 3);
  CHECK_THAT(e.what(), Contains("YAML syntax error"));
  CHECK_THAT(e.what(), StartsWith(p.manifest_path().string() + ":3:"));

  CHECK_THAT(e.what(), Contains("a '[' is never closed with ']'"));
  CHECK_THAT(e.hint(), Contains("the '[' at line 2, column 13 needs a closing ']'"));

  e = p.error("name: hello # [not a bracket\nlabels: {a: \"{\", b: '[', c: [1]\nuser: {uid: 1}\n");
  CHECK_THAT(e.what(), Contains("a '{' is never closed with '}'"));
  CHECK_THAT(e.hint(), Contains("the '{' at line 2, column 9 needs a closing '}'"));

  e = p.error("name: hello\nuser:\n\tuid: 1\n");
  CHECK_THAT(e.what(), Contains("YAML syntax error"));
  CHECK_THAT(e.hint(), Contains("tabs for indentation (line 3)"));

  e = p.error("name:hello\nbinary: build/hello\n");
  check_at(e, p, 2, 7);
  CHECK_THAT(e.what(), Contains("YAML syntax error: a 'key: value' pair is not allowed here"));
  CHECK_THAT(e.hint(), Contains("put a space after the ':' on line 1 ('name:hello')"));

  e = p.error("name: hello\nuser:\n  uid: 1\n   gid: 2\n");
  check_at(e, p, 4, 7);
  CHECK_THAT(e.hint(), Contains("check the indentation"));

  e = p.error(kBase + "cmd: [a, b]]\n");
  check_at(e, p, 4, 12);
  CHECK_THAT(e.what(), Contains("an unexpected ']' or '}'"));

  e = p.error("name: hello\nbinary: *nothing\n");
  check_at(e, p, 2, 9);
  CHECK_THAT(e.what(), Contains("anchor"));
}

TEST_CASE("manifest: empty files and non-mapping documents") {
  Project p;
  for (const char* text : {"", "\n\n", "# just a comment\n", "---\n...\n", "~\n"}) {
    auto e = p.error(text);
    check_at(e, p, 1, 1);
    CHECK_THAT(e.what(), Contains("the manifest is empty"));
  }
  auto e = p.error("- name: hello\n- binary: x\n");
  check_at(e, p, 1, 1);
  CHECK_THAT(e.what(), Contains("must be a mapping of keys (name:, binary:, user:, ...), got a list"));
  e = p.error("hello\n");
  CHECK_THAT(e.what(), Contains("got the string 'hello'"));

  e = p.error(kBase + "---\n" + kBase);
  check_at(e, p, 4, 1);
  CHECK_THAT(e.what(), Contains("a second YAML document"));
}

TEST_CASE("manifest: binary content and NUL bytes and control characters") {
  Project p;
  auto e = p.error(std::string("name: hel\0lo\n", 13));
  check_at(e, p, 1, 10);
  CHECK_THAT(e.what(), Contains("NUL byte"));

  e = p.error("name: ok\nbinary: \xff\xfe\x01\x02\n");
  check_at(e, p, 2, 9);
  CHECK_THAT(e.what(), Contains("invalid UTF-8 (byte 0xFF)"));

  e = p.error("name: caf\xc3\xa9\x07\n");  // columns count bytes, as yaml-cpp's do
  check_at(e, p, 1, 12);
  CHECK_THAT(e.what(), Contains("control character 0x07"));

  e = p.error(kBase + "env: {A: \"x\\0y\"}\n");  // a YAML escape, not a raw byte
  check_at(e, p, 4, 10);
  CHECK_THAT(e.what(), Contains("NUL character"));

  // A real ELF given by mistake.
  std::string elf = slimbuild::util::read_file(SLIMBUILD_BINARY).substr(0, 4096);
  e = p.error(elf);
  check_at(e, p, 1, 1);
  CHECK_THAT(e.what(), Contains("this is an ELF binary, not a YAML manifest"));

  e = p.error("name: x\n\x01\x02" "binary\n");
  check_at(e, p, 2, 1);
  CHECK_THAT(e.what(), Contains("control character 0x01"));
  CHECK_THAT(e.hint(), Contains("binary file"));
}

TEST_CASE("manifest: CA bundles must exist and be PEM") {
  Project p;
  auto e = p.error(kBase + "ca_certificates: yes\n");
  check_at(e, p, 4, 18);
  CHECK_THAT(e.what(), Contains("ca_certificates must be true, false or a path to a PEM bundle, got the string 'yes'"));
  CHECK_THAT(e.hint(), Contains("write true or false"));
  e = p.error(kBase + "ca_certificates: \"true\"\n");
  CHECK_THAT(e.hint(), Contains("write true without quotes"));

  e = p.error(kBase + "ca_certificates: certs/missing.pem\n");
  check_at(e, p, 4, 18);
  CHECK_THAT(e.what(), Contains("ca_certificates 'certs/missing.pem' does not exist"));

  e = p.error(kBase + "ca_certificates: config/app.conf\n");
  check_at(e, p, 4, 18);
  CHECK_THAT(e.what(), Contains("is not a PEM bundle"));

  e = p.error(kBase + "ca_certificates: [a]\n");
  CHECK_THAT(e.what(), Contains("ca_certificates must be true, false or a path to a PEM bundle, got a list"));
}

TEST_CASE("manifest: other value rules") {
  Project p;
  auto e = p.error("name: -hello\nbinary: build/hello\nuser: {uid: 1}\n");
  check_at(e, p, 1, 7);
  CHECK_THAT(e.what(), Contains("name must start with a lower-case letter or a digit"));

  e = p.error(kBase + "image: https://registry.example.com/x:1\n");
  check_at(e, p, 4, 8);
  CHECK_THAT(e.what(), Contains("image must be an image reference, not a URL"));

  e = p.error(kBase + "env: {LOG-LEVEL: info}\n");
  check_at(e, p, 4, 7);
  CHECK_THAT(e.what(), Contains("env key 'LOG-LEVEL' is not a valid environment variable name"));

  e = p.error(kBase + "libraries: [\"libfoo.so libbar.so\"]\n");
  check_at(e, p, 4, 13);
  CHECK_THAT(e.what(), Contains("must be a soname like libnss_dns.so.2 or an absolute path"));

  e = p.error(kBase + "files: [{src: config/app.conf, dest: /etc/, exclude: [\"*.bak\"]}]\n");
  check_at(e, p, 4, 54);
  CHECK_THAT(e.what(), Contains("files[0].exclude only applies when src is a directory"));

  e = p.error(kBase + "files: [{src: config, dest: /etc/, exclude: \"*.bak\"}]\n");
  CHECK_THAT(e.what(), Contains("files[0].exclude must be a list of patterns, got the string '*.bak'"));

  e = p.error(kBase + "env: &b {A: 1}\nlabels:\n  <<: *b\n");
  check_at(e, p, 6, 3);
  CHECK_THAT(e.what(), Contains("merge keys ('<<') in labels are not supported"));
  e = p.error(kBase + "files:\n  - <<: {src: config}\n    dest: /x\n");
  check_at(e, p, 5, 5);
  CHECK_THAT(e.what(), Contains("merge keys ('<<') in files[0] are not supported"));

  e = p.error(kBase + "? [a, b]\n: c\n");
  check_at(e, p, 4, 3);
  CHECK_THAT(e.what(), Contains("mapping keys must be plain strings"));
}

TEST_CASE("manifest: destinations the runtime mounts over are refused") {
  Project p;
  auto e = p.error(kBase + "files: [{src: config/app.conf, dest: /proc/app.conf}]\n");
  check_at(e, p, 4, 38);
  CHECK_THAT(e.what(), Contains("files[0].dest is under /proc, which the container runtime mounts over"));
  e = p.error("name: hello\nbinary: {path: build/hello, dest: /dev/}\nuser: {uid: 1}\n");
  check_at(e, p, 2, 35);
  CHECK_THAT(e.what(), Contains("binary.dest is under /dev"));
  // Only whole components count.
  Manifest m = p.load(kBase + "files: [{src: config, dest: /system/, mode: \"0644\"}, {src: config, dest: /devices/}]\n");
  CHECK(m.files[0].dest == "/system");
  CHECK(m.files[1].dest == "/devices");
}
