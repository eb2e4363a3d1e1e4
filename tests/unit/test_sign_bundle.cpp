// Signing: keys (types, encryption, refusals), the DSSE pre-authentication
// encoding, bundles that verify and bundles that must not, the provenance
// statement and its checks, and signing a layout in place. Keys are made
// in-process with OpenSSL, so the test needs no host tools.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/sign/bundle.hpp>
#include <slimbuild/sign/image_signing.hpp>
#include <slimbuild/sign/keys.hpp>
#include <slimbuild/sign/provenance_statement.hpp>
#include <slimbuild/util/base64.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/json.hpp>

#include "unit/test_layer_support.hpp"

using namespace slimbuild;
using namespace slimbuild::sign;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Writes a new private key of `type` ("ED25519", "P-256", "P-384", "RSA") as PKCS#8 PEM.
fs::path make_key(const fs::path& dir, const std::string& type, const std::string& passphrase = "") {
  EVP_PKEY* key = type == "ED25519" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                  : type == "RSA"   ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                                    : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", type.c_str());
  REQUIRE(key);
  fs::path file = dir / (type + (passphrase.empty() ? "" : "-enc") + ".pem");
  BIO* bio = BIO_new_file(file.c_str(), "w");
  REQUIRE(bio);
  int ok = passphrase.empty()
               ? PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr)
               : PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), passphrase.data(),
                                               static_cast<int>(passphrase.size()), nullptr, nullptr);
  BIO_free(bio);
  EVP_PKEY_free(key);
  REQUIRE(ok == 1);
  return file;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return std::string(e.what()) + " | " + e.hint();
  }
  FAIL("no error");
  return "";
}

std::string payload_of(const json& bundle) { return *util::base64_decode(bundle["dsseEnvelope"]["payload"].get<std::string>()); }

}  // namespace

TEST_CASE("sign: PAE is the DSSE v1 encoding") {
  CHECK(pae("http://example.com/HelloWorld", "hello world") == "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  CHECK(pae("", "") == "DSSEv1 0  0 ");
}

TEST_CASE("sign: base64 round-trips and refuses non-canonical text") {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)})
    CHECK(util::base64_decode(util::base64_encode(s)) == s);
  CHECK(util::base64_encode("foobar") == "Zm9vYmFy");
  CHECK_FALSE(util::base64_decode("Zm9v YmFy"));
  CHECK_FALSE(util::base64_decode("Zm9=Ymfy"));
  CHECK_FALSE(util::base64_decode("Zg=a"));
  CHECK_FALSE(util::base64_decode("abc"));
}

TEST_CASE("sign: an Ed25519 bundle verifies, is deterministic, and names its key") {
  util::TempDir tmp;
  PrivateKey key = PrivateKey::load_pem_file(make_key(tmp.path(), "ED25519"), std::nullopt);
  CHECK(key.public_key().type() == KeyType::Ed25519);
  json a = make_bundle(key, R"({"x":1})");
  json b = make_bundle(key, R"({"x":1})");
  CHECK(util::canonical_json(a) == util::canonical_json(b));
  CHECK(a["mediaType"] == kBundleMediaType);
  CHECK(a["verificationMaterial"]["publicKey"]["hint"] == key.public_key().hint());
  CHECK(a["dsseEnvelope"]["payloadType"] == kInTotoPayloadType);
  auto payload = verify_bundle(a, key.public_key());
  REQUIRE(payload);
  CHECK(*payload == R"({"x":1})");

  // Through PEM and back: the public key alone verifies.
  PublicKey pub = PublicKey::from_pem(key.public_key().pem(), "pub");
  CHECK(pub.hint() == key.public_key().hint());
  CHECK(verify_bundle(a, pub));
}

TEST_CASE("sign: ECDSA P-256 bundles verify although each signature differs") {
  util::TempDir tmp;
  PrivateKey key = PrivateKey::load_pem_file(make_key(tmp.path(), "P-256"), std::nullopt);
  CHECK(key.public_key().type() == KeyType::EcdsaP256);
  json a = make_bundle(key, "payload");
  json b = make_bundle(key, "payload");
  CHECK(a["dsseEnvelope"]["payload"] == b["dsseEnvelope"]["payload"]);
  CHECK(a["dsseEnvelope"]["signatures"][0]["sig"] != b["dsseEnvelope"]["signatures"][0]["sig"]);
  CHECK(verify_bundle(a, key.public_key()));
  CHECK(verify_bundle(b, key.public_key()));
}

TEST_CASE("sign: a changed payload, another key or a malformed bundle is refused") {
  util::TempDir tmp;
  PrivateKey key = PrivateKey::load_pem_file(make_key(tmp.path(), "ED25519"), std::nullopt);
  PrivateKey other = PrivateKey::load_pem_file(make_key(tmp.path(), "P-256"), std::nullopt);
  json good = make_bundle(key, R"({"subject":"a"})");

  json changed = good;
  changed["dsseEnvelope"]["payload"] = util::base64_encode(R"({"subject":"b"})");
  auto r1 = verify_bundle(changed, key.public_key());
  REQUIRE_FALSE(r1);
  CHECK_THAT(r1.error().what(), Catch::Contains("does not verify"));

  auto r2 = verify_bundle(good, other.public_key());
  REQUIRE_FALSE(r2);
  CHECK_THAT(r2.error().what(), Catch::Contains("another key"));

  // A forged hint does not help: the signature itself is checked.
  json forged = make_bundle(other, R"({"subject":"a"})");
  forged["verificationMaterial"]["publicKey"]["hint"] = key.public_key().hint();
  auto r3 = verify_bundle(forged, key.public_key());
  REQUIRE_FALSE(r3);
  CHECK_THAT(r3.error().what(), Catch::Contains("does not verify"));

  json swapped_type = good;
  swapped_type["dsseEnvelope"]["payloadType"] = "text/plain";
  CHECK_FALSE(verify_bundle(swapped_type, key.public_key()));
  for (const char* field : {"mediaType", "dsseEnvelope", "verificationMaterial"}) {
    json broken = good;
    broken.erase(field);
    auto r = verify_bundle(broken, key.public_key());
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().what(), Catch::Contains("malformed"));
  }
  json two = good;
  two["dsseEnvelope"]["signatures"].push_back(two["dsseEnvelope"]["signatures"][0]);
  CHECK_FALSE(verify_bundle(two, key.public_key()));
  CHECK_FALSE(verify_bundle(json::array(), key.public_key()));
}

TEST_CASE("sign: key files that cannot sign are clear errors, and the passphrase never shows") {
  util::TempDir tmp;
  CHECK_THAT(error_of([&] { PrivateKey::load_pem_file(tmp.path() / "missing.pem", std::nullopt); }),
             Catch::Contains("does not exist"));
  CHECK_THAT(error_of([&] { PrivateKey::load_pem_file(make_key(tmp.path(), "RSA"), std::nullopt); }),
             Catch::Contains("ECDSA P-256 or Ed25519"));
  CHECK_THAT(error_of([&] { PrivateKey::load_pem_file(make_key(tmp.path(), "P-384"), std::nullopt); }),
             Catch::Contains("not P-256"));
  util::write_file_atomic(tmp.path() / "junk.pem", "-----BEGIN NOTHING-----\n");
  CHECK_THAT(error_of([&] { PrivateKey::load_pem_file(tmp.path() / "junk.pem", std::nullopt); }),
             Catch::Contains("not a PEM private key"));

  fs::path enc = make_key(tmp.path(), "P-256", "s3cret-Passphrase");
  std::string missing = error_of([&] { PrivateKey::load_pem_file(enc, std::nullopt); });
  CHECK_THAT(missing, Catch::Contains("encrypted") && Catch::Contains("--key-passphrase-stdin"));
  std::string wrong = error_of([&] { PrivateKey::load_pem_file(enc, std::string("not-it")); });
  CHECK_THAT(wrong, Catch::Contains("passphrase is wrong"));
  CHECK_THAT(wrong, !Catch::Contains("not-it"));
  PrivateKey k = PrivateKey::load_pem_file(enc, std::string("s3cret-Passphrase"));
  CHECK(verify_bundle(make_bundle(k, "x"), k.public_key()));

  // A private key where a public key belongs.
  CHECK_THAT(error_of([&] { PublicKey::load_pem_file(enc); }), Catch::Contains("private key"));
}

TEST_CASE("sign: the provenance statement is canonical and checkable") {
  ProvenanceInput in;
  in.subjects = {{"127.0.0.1:5000/team/app", "sha256:" + std::string(64, 'a')}};
  in.builder_version = "0.1.0";
  in.manifest_path = "examples/hello/slimbuild.yml";
  in.source_repository = "https://git.example.com/team/app.git";
  in.source_commit = std::string(40, 'c');
  in.platforms = {"linux/amd64"};
  in.dependencies = {{"file:/app/hello", "", {{"sha256", std::string(64, 'b')}}},
                     {"deb:libc6@2.36-9", "pkg:deb/debian/libc6@2.36-9?arch=amd64", {}}};
  in.epoch = 1700000000;
  json st = make_provenance_statement(in);
  CHECK(st["_type"] == kStatementType);
  CHECK(st["predicateType"] == kSlsaProvenanceType);
  CHECK(st["subject"][0]["digest"]["sha256"] == std::string(64, 'a'));
  CHECK(st["predicate"]["runDetails"]["metadata"]["startedOn"] == "2023-11-14T22:13:20Z");
  const json& deps = st["predicate"]["buildDefinition"]["resolvedDependencies"];
  REQUIRE(deps.size() == 3);
  CHECK(deps[0]["digest"]["gitCommit"] == std::string(40, 'c'));
  CHECK(deps[1]["name"] == "deb:libc6@2.36-9");  // sorted by name after the source
  CHECK(deps[2]["digest"]["sha256"] == std::string(64, 'b'));

  std::string payload = util::canonical_json(st);
  StatementExpectations ok{"sha256:" + std::string(64, 'a'), std::string(40, 'c'), "https://git.example.com/team/app"};
  CHECK(check_statement(payload, ok));
  ok.source_commit = "ccccccc";  // a prefix of 7 is enough
  CHECK(check_statement(payload, ok));

  StatementExpectations other_image{"sha256:" + std::string(64, 'd'), std::nullopt, std::nullopt};
  auto r1 = check_statement(payload, other_image);
  REQUIRE_FALSE(r1);
  CHECK_THAT(r1.error().what(), Catch::Contains("another image"));
  StatementExpectations other_commit{"sha256:" + std::string(64, 'a'), std::string(40, 'e'), std::nullopt};
  auto r2 = check_statement(payload, other_commit);
  REQUIRE_FALSE(r2);
  CHECK_THAT(r2.error().what(), Catch::Contains("built from commit " + std::string(40, 'c')));
  StatementExpectations other_repo{"sha256:" + std::string(64, 'a'), std::nullopt, "https://git.example.com/team/other"};
  CHECK_FALSE(check_statement(payload, other_repo));
  CHECK_FALSE(check_statement("[]", ok));
  CHECK_FALSE(check_statement(R"({"_type":"https://in-toto.io/Statement/v1","subject":7})", ok));
}

TEST_CASE("sign: signing a layout adds one referrer and leaves the image alone") {
  util::TempDir tmp;
  PrivateKey key = PrivateKey::load_pem_file(make_key(tmp.path(), "ED25519"), std::nullopt);
  fs::path dir = tmp.path() / "layout";
  image::Descriptor img;
  {
    image::LayoutWriter w(dir);
    layer_test::Rootfs r;
    r.add(layer_test::generated("/x", "x"));
    layer::LayerOptions lo;
    auto layer = w.put_layer(r, lo);
    image::ImageConfigSpec spec;
    spec.architecture = "amd64";
    spec.created = 1700000000;
    img = w.add_image(spec, layer,
                      {{"org.opencontainers.image.revision", std::string(40, 'c')},
                       {"org.opencontainers.image.created", "2023-11-14T22:13:20Z"},
                       {"org.opencontainers.image.title", "x"}},
                      "latest");
    w.commit();
  }
  ImageFacts facts = read_image_facts(dir, std::nullopt, "x");
  CHECK(facts.manifest.digest == img.digest);
  CHECK(facts.platforms == std::vector<std::string>{"linux/amd64"});
  CHECK(facts.created == 1700000000);
  image::Descriptor first = sign_layout_image(dir, facts, key);
  image::Descriptor again = sign_layout_image(dir, facts, key);
  CHECK(first.digest == again.digest);  // Ed25519: same statement, same bundle, listed once

  image::LayoutReader layout(dir);
  CHECK(layout.find_image(std::string("latest")).digest == img.digest);
  auto bundles = layout_signatures(dir, img.digest);
  REQUIRE(bundles.size() == 1);
  StatementExpectations expect{img.digest, std::string(40, 'c'), std::nullopt};
  auto st = verify_signatures(bundles, key.public_key(), expect);
  REQUIRE(st);
  CHECK((*st)["subject"][0]["name"] == "x");
  CHECK(payload_of(bundles[0]) == util::canonical_json(*st));

  auto none = verify_signatures({}, key.public_key(), expect);
  REQUIRE_FALSE(none);
  CHECK_THAT(none.error().what(), Catch::Contains("has no signature"));
}
