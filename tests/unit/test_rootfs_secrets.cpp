// Secret detection and gitignore-style exclude patterns, as tables.
#include <catch2/catch.hpp>

#include <fstream>

#include <slimbuild/rootfs/secrets.hpp>
#include <slimbuild/util/fs.hpp>

using namespace slimbuild;
namespace fs = std::filesystem;

namespace {
fs::path put(const fs::path& root, const std::string& rel, const std::string& content) {
  fs::path p = root / rel;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  return p;
}
}  // namespace

TEST_CASE("rootfs: secret_reason flags keys, credential files and .git, not ordinary files") {
  util::TempDir tmp{"prov-secrets"};
  const fs::path& root = tmp.path();
  struct Row {
    std::string rel, content;
    bool secret;
    std::string why;  // substring of the reason
  };
  std::string filler(1000, 'x');
  std::vector<Row> rows{
      {"app.conf", "listen 80\n", false, ""},
      {"certs/server.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", false, ""},
      {"certs/server.key", "-----BEGIN PRIVATE KEY-----\nMIIE\n", true, "PEM private key"},
      {"k/rsa.pem", filler + "\n-----BEGIN RSA PRIVATE KEY-----\n", true, "RSA PRIVATE KEY"},
      {"k/ec", "-----BEGIN EC PRIVATE KEY-----\n", true, "EC PRIVATE KEY"},
      {"k/enc", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n", true, "ENCRYPTED"},
      {"k/ossh", "-----BEGIN OPENSSH PRIVATE KEY-----\n", true, "OPENSSH"},
      {"k/pgp.asc", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n", true, "PGP"},
      {"k/pub.pem", "-----BEGIN PUBLIC KEY-----\n", false, ""},
      {".env", "DB_PASSWORD=x\n", true, ".env"},
      {"sub/.env.production", "X=1\n", true, ".env"},
      {".env.example", "X=\n", false, ""},
      {"environment.txt", "x\n", false, ""},
      {"ssh/id_ed25519", "whatever\n", true, "SSH private key"},
      {"ssh/id_rsa", "whatever\n", true, "SSH private key"},
      {"ssh/id_rsa.pub", "ssh-rsa AAAA\n", false, ""},
      {".git/config", "[core]\n", true, ".git"},
      {"vendor/lib/.git/HEAD", "ref\n", true, ".git"},
      {".npmrc", "//registry.npmjs.org/:_authToken=npm_abc\n", true, "npmrc"},
      {"other/.npmrc", "registry=https://r.example.com\n", false, ""},
      {".netrc", "machine h login u password p\n", true, "netrc"},
      {"_netrc", "machine h login u password p\n", true, "netrc"},
      {".pypirc", "[pypi]\npassword = x\n", true, "pypirc"},
      {".docker/config.json", R"({"auths":{"r":{"auth":"dTpw"}}})", true, "Docker"},
      {"d2/.docker/config.json", R"({"credsStore":"pass"})", false, ""},
      {".aws/credentials", "[default]\naws_secret_access_key=x\n", true, "AWS"},
      {"gc/application_default_credentials.json", "{}", true, "Google"},
      {".config/gcloud/credentials.db", "x", true, "Google"},
      {".azure/msal_token_cache.json", "{}", true, "Azure"},
      {".kube/config", "users: []\n", true, "Kubernetes"},
      {"keys/store.p12", "x", true, "key store"},
      {"keys/app.JKS", "x", true, "key store"},
      {".git-credentials", "https://u:p@h\n", true, "git credential"},
  };
  for (const auto& r : rows) {
    INFO(r.rel);
    fs::path host = put(root, r.rel, r.content);
    auto why = rootfs::secret_reason(host, r.rel);
    CHECK(why.has_value() == r.secret);
    if (why && r.secret) CHECK(why->find(r.why) != std::string::npos);
  }
}

TEST_CASE("rootfs: secret_reason scans whole files and survives odd inputs") {
  util::TempDir tmp{"prov-secrets"};
  // A key block far past the first 64 KiB (and past a 1 MiB read) is found.
  fs::path late = put(tmp.path(), "late.bin", std::string(70 * 1024, 'a') + "-----BEGIN PRIVATE KEY-----\n");
  CHECK(rootfs::secret_reason(late, "late.bin"));
  fs::path later = put(tmp.path(), "later.bin", std::string((1 << 20) - 10, 'a') + "-----BEGIN PRIVATE KEY-----\n");
  CHECK(rootfs::secret_reason(later, "later.bin"));
  // Unterminated header, binary noise, directories and missing files do not crash.
  fs::path junk = put(tmp.path(), "junk", std::string("-----BEGIN \0\xff", 13));
  CHECK_FALSE(rootfs::secret_reason(junk, "junk"));
  CHECK_FALSE(rootfs::secret_reason(tmp.path(), "dir"));
  CHECK_FALSE(rootfs::secret_reason(tmp.path() / "missing", "missing"));
  // A tree rooted at .aws/ still knows where it is from the host path.
  fs::path aws = put(tmp.path(), "home/.aws/credentials", "[default]\n");
  CHECK(rootfs::secret_reason(aws, "credentials"));
}

TEST_CASE("rootfs: ExcludeMatcher follows gitignore semantics") {
  struct Row {
    std::vector<std::string> patterns;
    std::string path;
    bool is_dir;
    bool excluded;
  };
  std::vector<Row> rows{
      {{"*.log"}, "a.log", false, true},
      {{"*.log"}, "deep/down/a.log", false, true},
      {{"*.log"}, "a.logx", false, false},
      {{"*.log", "!keep.log"}, "x/keep.log", false, false},
      {{"!keep.log", "*.log"}, "keep.log", false, true},  // later patterns win
      {{"build/"}, "build", true, true},
      {{"build/"}, "build", false, false},  // dir-only
      {{"build/"}, "src/build/out.o", false, true},
      {{"/root.txt"}, "root.txt", false, true},
      {{"/root.txt"}, "sub/root.txt", false, false},  // anchored by leading slash
      {{"doc/*.md"}, "doc/a.md", false, true},
      {{"doc/*.md"}, "x/doc/a.md", false, false},  // middle slash anchors
      {{"doc/*.md"}, "doc/sub/a.md", false, false},  // '*' does not cross '/'
      {{"**/cache"}, "cache", true, true},
      {{"**/cache"}, "a/b/cache", true, true},
      {{"a/**/z"}, "a/z", false, true},
      {{"a/**/z"}, "a/b/c/z", false, true},
      {{"a/**/z"}, "b/a/z", false, false},
      {{"logs/**"}, "logs/x/y.txt", false, true},
      {{"logs/**"}, "logs", true, false},
      {{"logs/**", "!logs/keep"}, "logs/keep", false, false},
      {{"secret/", "!secret/ok.txt"}, "secret/ok.txt", false, true},  // parent excluded: no re-include
      {{"file?.txt"}, "file1.txt", false, true},
      {{"file?.txt"}, "file10.txt", false, false},
      {{"[abc].c"}, "b.c", false, true},
      {{"[abc].c"}, "d.c", false, false},
      {{"[!abc].c"}, "d.c", false, true},
      {{"[0-9]*.dat"}, "7x.dat", false, true},
      {{"[0-9]*.dat"}, "x7.dat", false, false},
      {{"# comment", "", "x"}, "x", false, true},
      {{"\\#hash"}, "#hash", false, true},
      {{"\\!bang"}, "!bang", false, true},
      {{"trailing   "}, "trailing", false, true},
      {{"*"}, "anything/at/all", false, true},
      {{}, "x", false, false},
  };
  for (const auto& r : rows) {
    INFO(r.path << " against " << (r.patterns.empty() ? std::string("(none)") : r.patterns.front()));
    CHECK(rootfs::ExcludeMatcher(r.patterns).excluded(r.path, r.is_dir) == r.excluded);
  }
}
