// Bundle JSON follows the protobuf-specs JSON mapping (camelCase, bytes as
// base64); only the fields a key-signed DSSE bundle needs are written, and
// verification reads them strictly so a malformed bundle is refused with a
// reason rather than half-checked.
#include <slimbuild/sign/bundle.hpp>

#include <slimbuild/util/base64.hpp>

namespace slimbuild::sign {

using nlohmann::json;

std::string pae(std::string_view payload_type, std::string_view payload) {
  std::string out = "DSSEv1 ";
  out += std::to_string(payload_type.size());
  out += ' ';
  out += payload_type;
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += payload;
  return out;
}

json make_bundle(const PrivateKey& key, std::string_view payload, std::string_view payload_type) {
  const std::string hint = key.public_key().hint();
  std::string signature = key.sign(pae(payload_type, payload));
  return json{
      {"mediaType", kBundleMediaType},
      {"verificationMaterial",
       {{"publicKey", {{"hint", hint}}}, {"tlogEntries", json::array()}, {"timestampVerificationData", json::object()}}},
      {"dsseEnvelope",
       {{"payload", util::base64_encode(payload)},
        {"payloadType", payload_type},
        {"signatures", json::array({{{"sig", util::base64_encode(signature)}, {"keyid", hint}}})}}}};
}

namespace {

Error bad(const std::string& what) {
  return Error("the signature bundle is malformed: " + what, "re-sign the image with slimbuild sign");
}

const json* member(const json& j, const char* key, json::value_t type) {
  if (!j.is_object() || !j.contains(key) || j[key].type() != type) return nullptr;
  return &j[key];
}

}  // namespace

Result<std::string> verify_bundle(const json& bundle, const PublicKey& key) {
  const json* media = member(bundle, "mediaType", json::value_t::string);
  if (!media || media->get<std::string>() != kBundleMediaType)
    return std::unexpected(bad(std::string("mediaType is not ") + kBundleMediaType));
  const json* env = member(bundle, "dsseEnvelope", json::value_t::object);
  if (!env) return std::unexpected(bad("no dsseEnvelope"));
  const json* payload_b64 = member(*env, "payload", json::value_t::string);
  const json* type = member(*env, "payloadType", json::value_t::string);
  const json* sigs = member(*env, "signatures", json::value_t::array);
  if (!payload_b64 || !type || !sigs) return std::unexpected(bad("dsseEnvelope lacks payload, payloadType or signatures"));
  if (sigs->size() != 1) return std::unexpected(bad("dsseEnvelope must hold exactly one signature"));
  const json* sig_b64 = member((*sigs)[0], "sig", json::value_t::string);
  if (!sig_b64) return std::unexpected(bad("the signature has no sig"));
  auto payload = util::base64_decode(payload_b64->get<std::string>());
  auto sig = util::base64_decode(sig_b64->get<std::string>());
  if (!payload || !sig) return std::unexpected(bad("payload or sig is not base64"));
  if (type->get<std::string>() != kInTotoPayloadType)
    return std::unexpected(bad("payloadType is " + type->get<std::string>() + ", not " + kInTotoPayloadType));

  if (const json* vm = member(bundle, "verificationMaterial", json::value_t::object)) {
    const json* pk = member(*vm, "publicKey", json::value_t::object);
    const json* hint = pk ? member(*pk, "hint", json::value_t::string) : nullptr;
    if (hint && hint->get<std::string>() != key.hint())
      return std::unexpected(Error("the image was signed with another key (key hint " + hint->get<std::string>().substr(0, 16) +
                                       "..., this public key is " + key.hint().substr(0, 16) + "...)",
                                   "verify with the public key of the signing key"));
  } else {
    return std::unexpected(bad("no verificationMaterial"));
  }
  if (!key.verify(pae(type->get<std::string>(), *payload), *sig))
    return std::unexpected(Error("the DSSE signature does not verify with this public key: the statement was changed "
                                 "after signing, or signed by another key",
                                 "do not trust this image's provenance"));
  return *payload;
}

}  // namespace slimbuild::sign
