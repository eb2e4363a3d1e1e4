// The runtime keys of the manifest: stop_signal, volumes, annotations,
// writable, capabilities, arbitrary_uid. Values are normalised the way
// docker reads them; mistakes are errors at their line with a way out.
#include <catch2/catch.hpp>

#include "unit/test_manifest_fixture.hpp"

using namespace manifest_test;

namespace {

const std::string kBase =
    "name: hello\n"
    "binary: build/hello\n"
    "user: {uid: 65532}\n";

}  // namespace

TEST_CASE("manifest: runtime keys read back normalised") {
  Project p;
  Manifest m = p.load(kBase +
                      "stop_signal: int\n"
                      "volumes: [/var/lib/app/, /data, /var/lib/app]\n"
                      "annotations: {org.example.owner: payments, org.example.tier: \"1\"}\n"
                      "writable: [/var/lib/app, /var/cache//app/]\n"
                      "capabilities: [CAP_NET_RAW, net_bind_service, Net_Bind_Service]\n"
                      "arbitrary_uid: true\n");
  CHECK(m.stop_signal == "SIGINT");
  CHECK(m.volumes == std::vector<std::string>{"/data", "/var/lib/app"});
  CHECK(m.annotations == std::map<std::string, std::string>{{"org.example.owner", "payments"}, {"org.example.tier", "1"}});
  CHECK(m.writable == std::vector<std::string>{"/var/cache/app", "/var/lib/app"});
  CHECK(m.capabilities == std::vector<std::string>{"net_bind_service", "net_raw"});
  CHECK(m.arbitrary_uid);
}

TEST_CASE("manifest: runtime keys default to nothing") {
  Project p;
  Manifest m = p.load(kBase);
  CHECK_FALSE(m.stop_signal);
  CHECK(m.volumes.empty());
  CHECK(m.annotations.empty());
  CHECK(m.writable.empty());
  CHECK(m.capabilities.empty());
  CHECK_FALSE(m.arbitrary_uid);
}

TEST_CASE("manifest: stop_signal takes names docker knows and numbers") {
  Project p;
  CHECK(p.load(kBase + "stop_signal: SIGQUIT\n").stop_signal == "SIGQUIT");
  CHECK(p.load(kBase + "stop_signal: sigrtmin+3\n").stop_signal == "SIGRTMIN+3");
  CHECK(p.load(kBase + "stop_signal: 15\n").stop_signal == "15");
  auto e = p.error(kBase + "stop_signal: SIGTREM\n");
  CHECK_THAT(e.what(), Catch::Contains("slimbuild.yaml:4:14") && Catch::Contains("'SIGTREM' is not a signal name"));
  CHECK_THAT(e.hint(), Catch::Contains("did you mean SIGTERM?"));
  CHECK_THAT(p.error(kBase + "stop_signal: 99\n").what(), Catch::Contains("not a signal number"));
  CHECK_THAT(p.error(kBase + "stop_signal: SIGRTMIN+40\n").what(), Catch::Contains("not a signal name"));
}

TEST_CASE("manifest: volumes and writable must be absolute directories outside the runtime's mounts") {
  Project p;
  CHECK_THAT(p.error(kBase + "volumes: [var/lib/app]\n").what(), Catch::Contains("volumes[0]"));
  CHECK_THAT(p.error(kBase + "volumes: /data\n").what(), Catch::Contains("volumes"));
  CHECK_THAT(p.error(kBase + "writable: [/proc/x]\n").what(), Catch::Contains("writable[0] is under /proc"));
  CHECK_THAT(p.error(kBase + "writable: [/tmp]\n").what(), Catch::Contains("writable by everyone already"));
  CHECK_THAT(p.error(kBase + "writable: [/]\n").what(), Catch::Contains("the whole image"));
}

TEST_CASE("manifest: capabilities are Linux capability names") {
  Project p;
  auto e = p.error(kBase + "capabilities: [net_bind_servce]\n");
  CHECK_THAT(e.what(), Catch::Contains("capabilities[0] 'net_bind_servce' is not a Linux capability"));
  CHECK_THAT(e.hint(), Catch::Contains("did you mean net_bind_service?"));
  CHECK_THAT(p.error(kBase + "capabilities: net_raw\n").what(), Catch::Contains("capabilities"));
}

TEST_CASE("manifest: arbitrary_uid is a boolean and annotations a mapping") {
  Project p;
  CHECK_THAT(p.error(kBase + "arbitrary_uid: yes\n").what(), Catch::Contains("arbitrary_uid must be true or false"));
  CHECK_THAT(p.error(kBase + "annotations: [a]\n").what(), Catch::Contains("annotations"));
}

TEST_CASE("manifest: label and annotation keys each follow their own rule") {
  Project p;
  CHECK_THAT(p.error(kBase + "labels: {\"a\\nb\": x}\n").what(), Catch::Contains("labels keys must be non-empty single-line"));
  CHECK_THAT(p.error(kBase + "labels: {\"\": x}\n").what(), Catch::Contains("labels keys must be non-empty"));
  CHECK_THAT(p.error(kBase + "annotations: {\"org.example owner\": x}\n").what(),
             Catch::Contains("annotations keys must be non-empty and without spaces"));
  // A space is fine in a label key, not in an annotation key.
  auto m = p.load(kBase + "labels: {\"team name\": core}\nannotations: {org.example.owner: core}\n");
  CHECK(m.labels.at("team name") == "core");
  CHECK(m.annotations.at("org.example.owner") == "core");
}
