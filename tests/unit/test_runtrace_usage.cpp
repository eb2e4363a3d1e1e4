// The rules that turn a recorded run into manifest lines, on hand-written
// runs and a fake host: what counts as used, what is left out (kernel file
// systems, generated files, the program's own writes, what the manifest
// already has), how libraries, executed programs and data files are told
// apart, when a directory becomes one entry, and what `check` calls missing.
#include <catch2/catch.hpp>

#include <cerrno>
#include <map>

#include "runtrace/paths.hpp"
#include <slimbuild/runtrace/usage.hpp>

using namespace slimbuild;
using namespace slimbuild::runtrace;

namespace {

// Files (path -> is a shared object), directories implied by them, and
// symlinks (path -> real path).
class FakeHost final : public HostView {
 public:
  std::map<std::string, bool> files;
  std::map<std::string, std::string> links;

  HostKind kind(const std::string& path) const override {
    std::string p = real_path(path);
    if (files.count(p)) return HostKind::File;
    for (const auto& [f, so] : files)
      if (is_under(f, p) && f != p) return HostKind::Directory;
    return HostKind::Missing;
  }
  bool exists(const std::string& path) const override { return links.count(path) || kind(path) != HostKind::Missing; }
  bool is_shared_object(const std::string& path) const override {
    auto it = files.find(real_path(path));
    return it != files.end() && it->second;
  }
  std::string real_path(const std::string& path) const override {
    auto it = links.find(path);
    return it == links.end() ? path : it->second;
  }
  std::optional<size_t> for_each_file(const std::string& dir,
                                      const std::function<bool(const std::string&)>& visit) const override {
    size_t n = 0;
    for (const auto& [f, so] : files)
      if (is_under(f, dir) && f != dir) {
        if (!visit(f)) return std::nullopt;
        ++n;
      }
    return n;
  }
};

Event ev(Op op, const std::string& path, int error = 0, bool writes = false) {
  return Event{100, op, path, error, writes || op == Op::Modify};
}

auto nothing_present = [](const std::string&) { return false; };

std::vector<std::string> srcs(const std::vector<FileLine>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.src);
  return out;
}

}  // namespace

TEST_CASE("runtrace: paths are normalised lexically and mapped out of a chroot") {
  CHECK(normalize_path("/usr/lib/../lib//x/./y") == "/usr/lib/x/y");
  CHECK(normalize_path("/../../etc") == "/etc");
  CHECK(normalize_path("/") == "/");
  CHECK(strip_root("/tmp/r", "/tmp/r/app/x") == "/app/x");
  CHECK(strip_root("/tmp/r", "/tmp/r") == "/");
  CHECK(strip_root("/tmp/r", "/tmp/rx/y") == "/tmp/rx/y");
  CHECK(strip_root("", "/a") == "/a");
  CHECK(is_under("/usr/lib/x", "/usr/lib"));
  CHECK_FALSE(is_under("/usr/libexec", "/usr/lib"));
}

TEST_CASE("runtrace: libraries, executed programs and data files are told apart") {
  FakeHost host;
  host.files = {{"/usr/bin/prog", false},
                {"/usr/lib/plugins/libp.so", true},
                {"/usr/bin/helper", false},
                {"/usr/share/prog/data.txt", false},
                {"/usr/share/prog/other.txt", false}};
  RunRecord run;
  run.events = {ev(Op::Exec, "/usr/bin/prog"), ev(Op::Open, "/usr/lib/plugins/libp.so"),
                ev(Op::Exec, "/usr/bin/helper"), ev(Op::Stat, "/usr/share/prog/data.txt"),
                ev(Op::Open, "/usr/share/prog")};
  Proposal p = propose(run, host, nothing_present);
  CHECK(p.libraries == std::vector<std::string>{"/usr/lib/plugins/libp.so"});
  REQUIRE(p.binaries.size() == 1);
  CHECK(p.binaries[0].src == "/usr/bin/helper");
  CHECK(p.binaries[0].executable);
  // other.txt was not used, so the directory is not taken whole; the
  // directory itself (opened) is no entry.
  CHECK(srcs(p.files) == std::vector<std::string>{"/usr/share/prog/data.txt"});
}

TEST_CASE("runtrace: kernel file systems, generated files, failures and the program's writes are left out") {
  FakeHost host;
  host.files = {{"/usr/bin/prog", false},   {"/proc/self/maps", false}, {"/sys/x", false},
                {"/dev/urandom", false},    {"/etc/passwd", false},     {"/etc/ld.so.cache", false},
                {"/work/out.txt", false},   {"/work/gen/a", false},     {"/work/moved", false},
                {"/etc/real.conf", false}};
  RunRecord run;
  run.events = {ev(Op::Exec, "/usr/bin/prog"),
                ev(Op::Open, "/proc/self/maps"),
                ev(Op::Stat, "/sys/x"),
                ev(Op::Open, "/dev/urandom"),
                ev(Op::Open, "/etc/passwd"),
                ev(Op::Open, "/etc/ld.so.cache"),
                ev(Op::Open, "/work/out.txt", 0, true),  // created by the program
                ev(Op::Open, "/work/out.txt"),           // ... then read back
                ev(Op::Modify, "/work/gen"),             // mkdir
                ev(Op::Open, "/work/gen/a"),
                ev(Op::Modify, "/work/moved"),           // rename target
                ev(Op::Stat, "/work/moved"),
                ev(Op::Open, "/etc/missing.conf", ENOENT),
                ev(Op::Open, "/etc/real.conf")};
  Proposal p = propose(run, host, nothing_present);
  CHECK(p.libraries.empty());
  CHECK(p.binaries.empty());
  CHECK(srcs(p.files) == std::vector<std::string>{"/etc/real.conf"});
}

TEST_CASE("runtrace: what the manifest already holds is subtracted, by path or by real file") {
  FakeHost host;
  host.files = {{"/usr/bin/prog", false}, {"/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", true},
                {"/usr/lib/x86_64-linux-gnu/libssl.so.3", true}, {"/usr/lib/x86_64-linux-gnu/libextra.so", true}};
  host.links = {{"/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"},
                {"/lib/x86_64-linux-gnu/libssl.so.3", "/usr/lib/x86_64-linux-gnu/libssl.so.3"}};
  RunRecord run;
  run.events = {ev(Op::Exec, "/usr/bin/prog"), ev(Op::Open, "/lib/x86_64-linux-gnu/libz.so.1"),
                ev(Op::Open, "/lib/x86_64-linux-gnu/libssl.so.3")};
  run.mapped = {"/usr/lib/x86_64-linux-gnu/libssl.so.3", "/usr/lib/x86_64-linux-gnu/libextra.so"};
  auto present = [](const std::string& p) { return p == "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"; };
  Proposal p = propose(run, host, present);
  // libssl was opened through /lib and mapped under /usr/lib: one entry.
  CHECK(p.libraries ==
        std::vector<std::string>{"/lib/x86_64-linux-gnu/libssl.so.3", "/usr/lib/x86_64-linux-gnu/libextra.so"});
}

TEST_CASE("runtrace: a directory whose every file was used becomes one entry, else single files") {
  FakeHost host;
  host.files = {{"/usr/bin/python3", false},
                {"/usr/lib/py/json/__init__.py", false},
                {"/usr/lib/py/json/decoder.py", false},
                {"/usr/lib/py/json/__pycache__/decoder.pyc", false},
                {"/usr/lib/py/re/__init__.py", false},
                {"/usr/lib/py/re/_parser.py", false},
                {"/usr/lib/py/os.py", false},
                {"/usr/lib/py/unused.py", false}};
  RunRecord run;
  run.events = {ev(Op::Exec, "/usr/bin/python3"),
                ev(Op::Stat, "/usr/lib/py/json/__init__.py"),
                ev(Op::Open, "/usr/lib/py/json/decoder.py"),
                ev(Op::Open, "/usr/lib/py/json/__pycache__/decoder.pyc"),
                ev(Op::Open, "/usr/lib/py/re/__init__.py"),
                ev(Op::Open, "/usr/lib/py/os.py")};
  Proposal p = propose(run, host, nothing_present);
  // json/ (with its __pycache__) is whole; re/ is not (_parser.py unused);
  // /usr/lib/py is not (unused.py), so it is never proposed whole.
  CHECK(srcs(p.files) == std::vector<std::string>{"/usr/lib/py/json/", "/usr/lib/py/os.py", "/usr/lib/py/re/__init__.py"});
  CHECK(p.files[0].directory);
  CHECK(p.files[0].dest == "/usr/lib/py/json/");
}

TEST_CASE("runtrace: check reports what was looked for, not found, and exists on the host") {
  FakeHost host;
  host.files = {{"/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", false},
                {"/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so", true},
                {"/usr/lib/python3.11/os.py", false},
                {"/tmp/made-later", false}};
  RunRecord run;
  run.events = {ev(Op::Open, "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", ENOENT),
                ev(Op::Open, "/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so", ENOENT),
                ev(Op::Stat, "/usr/lib/python3.11/os.py", ENOTDIR),
                ev(Op::Stat, "/usr/lib/python3.11/os.py", ENOENT),      // twice: once in the report
                ev(Op::Open, "/nowhere/at/all", ENOENT),                // not on the host either
                ev(Op::Open, "/etc/ld.so.cache", ENOENT),               // images never have one
                ev(Op::Open, "/usr/lib/python3.11/os.py", EACCES),      // another error: not "missing"
                ev(Op::Stat, "/tmp/made-later", ENOENT),                // then created by the program
                ev(Op::Open, "/tmp/made-later", 0, true)};
  auto m = missing(run, host);
  CHECK(m == std::vector<std::string>{"/usr/lib/python3.11/os.py", "/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so",
                                      "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache"});
  Proposal p = propose_missing(m, host);
  CHECK(p.libraries == std::vector<std::string>{"/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so"});
  CHECK(srcs(p.files) ==
        std::vector<std::string>{"/usr/lib/python3.11/os.py", "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache"});
}
