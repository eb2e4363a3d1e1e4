// `slimbuild init`: Dockerfile instructions -> starter manifest (the issue's
// Alpine example, multi-stage builds, users, ENV/ARG, shell forms, what is
// named as not translated), the binary rules on faked facts, and the YAML
// emitter: every starter reads back through the real manifest loader.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <yaml-cpp/yaml.h>

#include <slimbuild/init/from_binary.hpp>
#include <slimbuild/init/manifest_writer.hpp>
#include <slimbuild/init/translate.hpp>
#include <slimbuild/util/error.hpp>

#include "unit/test_manifest_fixture.hpp"

using namespace slimbuild::init;
namespace fs = std::filesystem;

namespace {

TranslateOptions opts(fs::path context = "/proj", fs::path manifest_dir = "/proj") {
  TranslateOptions o;
  o.context_dir = context;
  o.manifest_dir = manifest_dir;
  return o;
}

Starter tr(const std::string& text, const TranslateOptions& o = opts()) { return translate(parse_dockerfile(text), o); }

bool noted(const Starter& s, int line, const std::string& needle) {
  return std::any_of(s.untranslated.begin(), s.untranslated.end(),
                     [&](const Note& n) { return n.line == line && n.why.find(needle) != std::string::npos; });
}

const char* kIssueDockerfile =
    "FROM alpine:latest\n"
    "WORKDIR /app\n"
    "ENV TZ Europe/Ljubljana\n"
    "RUN apk --no-cache add ca-certificates tzdata && ln -snf /usr/share/zoneinfo/$TZ /etc/localtime && echo $TZ > /etc/timezone\n"
    "COPY /build/stats-linux-amd64 /app/service\n"
    "RUN adduser -S www-data -u 1000\n"
    "USER www-data\n"
    "EXPOSE 3000\n"
    "ENTRYPOINT [\"/app/service\"]\n";

}  // namespace

TEST_CASE("init translate: the issue's Alpine Dockerfile", "[init]") {
  Starter s = tr(kIssueDockerfile);
  CHECK(s.binary_path == "build/stats-linux-amd64");
  CHECK(s.binary_dest == "/app/service");
  CHECK(s.name == "service");
  CHECK(s.entrypoint == std::vector<std::string>{"/app/service"});
  CHECK_FALSE(s.cmd);
  CHECK(s.user_name == "www-data");
  CHECK(s.uid == 1000);
  CHECK_FALSE(s.gid);
  CHECK(s.ca_certificates);
  CHECK(s.tzdata_all);
  CHECK(s.timezone == "Europe/Ljubljana");
  CHECK(s.env.empty());  // TZ is timezone:, which sets TZ itself
  CHECK(s.workdir == "/app");
  CHECK(s.ports == std::vector<std::string>{"3000/tcp"});
  CHECK(s.untranslated.empty());
}

TEST_CASE("init translate: the starter loads with the manifest loader", "[init]") {
  manifest_test::Project p;
  TranslateOptions o = opts(p.dir, p.dir);
  Starter s = tr("FROM debian:12\nARG APP=hello\nCOPY build/${APP} /usr/local/bin/\nCOPY config/ /etc/hello/\n"
                 "ENV LOG_LEVEL=info \"GREETING\"=\"hi: #1\" EMPTY=\nENV TZ=UTC\nLABEL org.example.team=\"pay ments\"\n"
                 "RUN useradd -u 10001 -g 10001 hello\nUSER hello\nEXPOSE 8443/tcp 53/udp\nSTOPSIGNAL SIGINT\n"
                 "VOLUME [\"/var/lib/hello\"]\nCMD [\"hello\", \"--port\", \"8443\"]\n",
                 o);
  std::string yaml = write_manifest(s) + "sysroot: " + p.sysroot.string() + "\n";
  auto m = p.load(yaml);
  CHECK(m.name == "hello");
  CHECK(m.binary.path == p.dir / "build/hello");
  CHECK(m.binary.dest == "/usr/local/bin/hello");
  // CMD alone: the whole command line, replaceable by `docker run IMAGE ARGS` as before.
  CHECK(m.entrypoint.empty());
  CHECK(m.cmd == std::vector<std::string>{"/usr/local/bin/hello", "--port", "8443"});
  REQUIRE(m.files.size() == 1);
  CHECK(m.files[0].dest == "/etc/hello");
  CHECK(m.files[0].dest_is_dir);
  CHECK(m.user.uid == 10001);
  CHECK(m.user.gid == 10001);
  CHECK(m.env.at("GREETING") == "hi: #1");
  CHECK(m.env.at("EMPTY").empty());
  CHECK(m.timezone == "UTC");
  CHECK(m.labels.at("org.example.team") == "pay ments");
  CHECK(m.ports == std::vector<std::string>{"53/udp", "8443/tcp"});
  CHECK(m.stop_signal == "SIGINT");
  CHECK(m.volumes == std::vector<std::string>{"/var/lib/hello"});
}

TEST_CASE("init translate: multi-stage builds use the last stage and name the others", "[init]") {
  Starter s = tr(
      "FROM golang:1.22 AS builder\n"
      "WORKDIR /src\n"
      "RUN go build -o /out/server .\n"
      "FROM gcr.io/distroless/static-debian12:nonroot\n"
      "COPY --from=builder /out/server /server\n"
      "COPY --from=builder /src/static /srv/static\n"
      "ENTRYPOINT [\"/server\"]\n",
      opts("/proj", "/proj/deploy"));
  CHECK(s.binary_path == "/proj/out/server");  // outside the manifest directory: absolute
  CHECK(s.binary_dest == "/server");
  REQUIRE(s.binary_comments.size() == 1);
  CHECK(s.binary_comments[0].find("builder") != std::string::npos);
  CHECK(s.user_name == "nonroot");
  CHECK(s.uid == 65532);
  CHECK(s.ca_certificates);  // distroless carries the bundle and the zones
  CHECK(s.tzdata_all);
  CHECK(noted(s, 1, "earlier build stage"));
  CHECK(noted(s, 2, "earlier build stage"));
  CHECK(noted(s, 3, "earlier build stage"));
  REQUIRE(s.files.size() == 1);
  CHECK(s.files[0].dest == "/srv/static");
}

TEST_CASE("init translate: users, root and unknown names", "[init]") {
  Starter root = tr("FROM scratch\nCOPY app /app\nUSER root\nENTRYPOINT [\"/app\"]\n");
  CHECK(root.uid == 65532);
  CHECK(noted(root, 3, "refuses root"));
  Starter numeric = tr("FROM scratch\nCOPY app /app\nUSER 4242:4343\nENTRYPOINT [\"/app\"]\n");
  CHECK(numeric.uid == 4242);
  CHECK(numeric.gid == 4343u);
  Starter unknown = tr("FROM scratch\nCOPY app /app\nUSER ghost\nENTRYPOINT [\"/app\"]\n");
  CHECK(unknown.user_name == "ghost");
  CHECK(noted(unknown, 3, "no uid for 'ghost'"));
  Starter deb = tr("FROM debian\nRUN addgroup --system --gid 2000 svc && adduser --system --uid 2001 --ingroup svc svc\n"
                   "COPY app /app\nUSER svc:svc\nENTRYPOINT [\"/app\"]\n");
  CHECK(deb.uid == 2001);
  CHECK(deb.gid == 2000u);
  CHECK(deb.untranslated.empty());
  Starter zero_gid = tr("FROM scratch\nCOPY app /app\nUSER 1000:0\nENTRYPOINT [\"/app\"]\n");
  CHECK(zero_gid.uid == 65532);
  CHECK(noted(zero_gid, 3, "uid or gid 0"));
}

TEST_CASE("init translate: what cannot be translated is named with its line", "[init]") {
  Starter s = tr(
      "FROM ubuntu:22.04\n"
      "RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*\n"
      "RUN mkdir -p /data && chown app /data\n"
      "RUN <<EOF\necho hi\nEOF\n"
      "ADD https://example.com/x.tar.gz /opt/\n"
      "ADD vendor.tar.gz /opt/\n"
      "COPY *.conf /etc/app/\n"
      "COPY app /usr/bin/app\n"
      "EXPOSE 8000-8010\n"
      "HEALTHCHECK CMD curl -f http://localhost/\n"
      "ONBUILD RUN make\n"
      "FROBNICATE now\n"
      "ENV PORT=$UNSET_VAR\n"
      "CMD app --port 80\n");
  CHECK(s.ca_certificates);
  CHECK(noted(s, 2, "package curl not installed"));
  CHECK(noted(s, 3, "mkdir -p /data"));
  CHECK(noted(s, 4, "heredoc"));
  CHECK(noted(s, 7, "downloads"));
  CHECK(noted(s, 8, "unpacks"));
  CHECK(noted(s, 9, "wildcard"));
  CHECK(noted(s, 11, "not a port"));
  CHECK(noted(s, 12, "HEALTHCHECK"));
  CHECK(noted(s, 13, "ONBUILD"));
  CHECK(noted(s, 14, "unknown instruction FROBNICATE"));
  CHECK(noted(s, 15, "$UNSET_VAR"));
  CHECK(tr("FROM scratch\nCOPY app /app\nCMD /app --port $PORT\n").untranslated.at(0).why.find("shell syntax") != std::string::npos);
  CHECK_THROWS_WITH(tr("COPY app /app\nENTRYPOINT [\"/app\"]\n"), Catch::Contains("no FROM instruction"));
  // Shell-form CMD without shell syntax: run directly, with a remark; bare name found in PATH.
  CHECK(s.binary_dest == "/usr/bin/app");
  CHECK(s.cmd == std::vector<std::string>{"/usr/bin/app", "--port", "80"});
  std::string yaml = write_manifest(s);
  CHECK(yaml.find("# Not translated") != std::string::npos);
  CHECK(yaml.find("#   line 14: FROBNICATE now") != std::string::npos);
  // The comments are comments: YAML sees only the keys.
  YAML::Node doc = YAML::Load(yaml);
  CHECK(doc["name"].as<std::string>() == "app");
}

TEST_CASE("init translate: no program in the image is a clear error", "[init]") {
  CHECK_THROWS_WITH(tr("FROM alpine\nENTRYPOINT [\"/bin/sh\", \"-c\", \"echo\"]\n"),
                    Catch::Contains("no COPY or ADD in the last stage puts the program /bin/sh"));
  CHECK_THROWS_AS(tr(""), slimbuild::Error);
  // Found by the fuzz target: an empty destination word is a note, not undefined behaviour.
  Starter empty = tr("FROM scratch\nCOPY [\"app\", \"\"]\nCOPY app /app\nCOPY '' /x\nENTRYPOINT [\"/app\"]\n");
  CHECK(noted(empty, 2, "empty source or destination"));
  CHECK(noted(empty, 4, "empty source or destination"));
  CHECK_THROWS_AS(tr("\xff\xfe binary \x00 junk"), slimbuild::Error);
  CHECK_THROWS_WITH(tr("FROM scratch\nCMD $(whoami)\n"), Catch::Contains("neither ENTRYPOINT nor CMD"));
}

TEST_CASE("init translate: ARG defaults and ENV values expand", "[init]") {
  Starter s = tr("ARG VERSION=1.2\nFROM scratch\nARG DIR=/opt/app\nENV HOME_DIR=${DIR} V=${VERSION:-0} X=${NOPE:-dflt}\n"
                 "WORKDIR $DIR\nCOPY bin/app-${VERSION} ./app\nENTRYPOINT [\"./app\"]\n");
  CHECK(s.env.at("HOME_DIR") == "/opt/app");
  CHECK(s.env.at("V") == "1.2");
  CHECK(s.env.at("X") == "dflt");
  CHECK(s.binary_path == "bin/app-1.2");
  CHECK(s.binary_dest == "/opt/app/app");
  CHECK(s.entrypoint == std::vector<std::string>{"/opt/app/app"});
  // ENV TZ= (empty) takes the zone back.
  CHECK_FALSE(tr("FROM scratch\nENV TZ=UTC\nENV TZ=\nCOPY app /app\n").timezone);
}

TEST_CASE("init translate: recognised RUN commands", "[init]") {
  RunEffects fx = read_run_line("set -eux; DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata=2024a-1 "
                                "&& adduser -D -S -H -u 1234 -G app web || true; useradd --uid=77 -U bot; "
                                "cp /usr/share/zoneinfo/Asia/Tokyo /etc/localtime; make install");
  CHECK(fx.packages == std::vector<std::string>{"tzdata"});
  REQUIRE(fx.users.count("web"));
  CHECK(fx.users["web"].uid == 1234u);
  CHECK(fx.users["web"].group == "app");
  CHECK(fx.users["bot"].uid == 77u);
  CHECK(fx.localtime_zone == "Asia/Tokyo");
  CHECK(fx.unrecognised == std::vector<std::string>{"make install"});
}

TEST_CASE("init from binary: the CA and zone rules", "[init]") {
  FromBinaryOptions o{"/proj/build/Stats Server", "/proj", ""};
  BinaryFacts curl{"Stats Server", false, false, {"libcurl.so.4", "libssl.so.3", "libc.so.6"}, false, false};
  Starter s = starter_from_facts(curl, o);
  CHECK(s.name == "stats-server");
  CHECK(s.binary_path == "build/Stats Server");
  CHECK(s.binary_dest == "/app/stats-server");
  CHECK(s.uid == 65532);
  CHECK(s.ca_certificates);
  CHECK_FALSE(s.tzdata_all);
  BinaryFacts go{"hello", true, true, {}, true, true};
  Starter g = starter_from_facts(go, {"/elsewhere/hello", "/proj", "web"});
  CHECK(g.name == "web");
  CHECK(g.binary_path == "/elsewhere/hello");
  CHECK(g.ca_certificates);
  CHECK(g.tzdata_all);
  BinaryFacts plain{"true", false, false, {"libc.so.6"}, false, false};
  Starter t = starter_from_facts(plain, o);
  CHECK_FALSE(t.ca_certificates);
  CHECK_FALSE(t.tzdata_all);
  CHECK(tls_library({"libz.so.1", "libgnutls.so.30"}) == "libgnutls.so.30");
  CHECK(tls_library({"libcrypto.so.3"}).empty());
}

TEST_CASE("init manifest writer: quoting reads back as the same strings", "[init]") {
  for (std::string v : {"plain/path", "true", "no", "Null", "~", "3000/tcp", "0755", "-x", "a: b", "#c", "[x]",
                        "{y}", "a,b", " lead", "trail ", "", "quo\"te", "back\\slash", "tab\there", "nl\nx",
                        "\x01\x7f", "caf\xc3\xa9", "*star", "&anchor", "!tag", "%pct", "@at", "`tick", "|pipe", ">gt",
                        "?q", "1e3", ".inf", "0x1F"}) {
    std::string doc = "v: " + yaml_scalar(v) + "\nl: [" + yaml_scalar(v) + ", " + yaml_scalar(v) + "]\n";
    YAML::Node n = YAML::Load(doc);
    CHECK(n["v"].as<std::string>() == v);
    CHECK(n["l"][1].as<std::string>() == v);
  }
  CHECK(yaml_scalar("/app/service") == "/app/service");
  CHECK(yaml_scalar("yes") == "\"yes\"");
}

TEST_CASE("init manifest writer: hostile notes stay comments", "[init]") {
  Starter s;
  s.name = "x";
  s.binary_path = "b";
  s.binary_dest = "/app/x";
  s.untranslated.push_back({3, "RUN evil\nname: injected", "why\r\nuser: {uid: 0}"});
  s.remarks.push_back("remark\x1b[2J");
  std::string yaml = write_manifest(s);
  YAML::Node n = YAML::Load(yaml);
  CHECK(n["name"].as<std::string>() == "x");
  CHECK_FALSE(n["user"]["uid"].as<std::string>() == "0");
  CHECK(yaml.find('\x1b') == std::string::npos);
}

TEST_CASE("init translate: mutated Dockerfiles give a starter or an Error, and valid YAML", "[init]") {
  std::mt19937 rng(1313);
  const std::string base = kIssueDockerfile;
  const std::string junk = "\\\"'[]{}:#$`\n\t -=/\xff\x00*&!|>%@,";
  int starters = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string s = base;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 6); ++k) {
      size_t at = rng() % (s.size() + 1);
      if (rng() % 2) s.insert(at, 1, junk[rng() % junk.size()]);
      else if (at < s.size()) s.erase(at, 1 + rng() % 8);
    }
    try {
      Starter st = translate(parse_dockerfile(s), opts());
      std::string yaml = write_manifest(st);
      YAML::Node doc = YAML::Load(yaml);
      CHECK(doc["name"].as<std::string>() == st.name);
      CHECK(doc["binary"]["path"].as<std::string>() == st.binary_path);
      CHECK(doc["binary"]["dest"].as<std::string>() == st.binary_dest);
      ++starters;
    } catch (const slimbuild::Error&) {
      // a clear refusal is fine
    }
  }
  CHECK(starters > 100);
}

TEST_CASE("init translate: a scratch image's copied CA bundle, zones and passwd become their keys", "[init]") {
  Starter s = tr("FROM golang:1.22-alpine AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /bin/app .\n"
                 "FROM scratch\nCOPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/\n"
                 "COPY --from=build /usr/share/zoneinfo/Europe/Ljubljana /usr/share/zoneinfo/Europe/Ljubljana\n"
                 "COPY --from=build /etc/passwd /etc/passwd\nCOPY --from=build /bin/app /bin/app\nUSER 1000\n"
                 "ENTRYPOINT [\"/bin/app\"]\n");
  CHECK(s.ca_certificates);
  CHECK(s.zones == std::vector<std::string>{"Europe/Ljubljana"});
  CHECK_FALSE(s.tzdata_all);
  CHECK(s.files.empty());
  CHECK(s.binary_path == "bin/app");
  CHECK(s.uid == 1000);
  CHECK(noted(s, 4, "earlier build stage"));
}
