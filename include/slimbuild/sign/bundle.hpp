// DSSE envelopes (the in-toto signature wrapper) inside Sigstore bundles
// v0.3, signed with a key of ours: what `build --sign-key` and `sign` attach
// to an image as an OCI referrer, and what `verify-signature` checks.
// The signature covers the DSSE pre-authentication encoding (PAE) of the
// payload, so the payload type cannot be swapped; the bundle names the key
// by its hint (SHA-256 of the public key's DER) and carries no transparency
// log entries or timestamps: trust comes from the public key alone.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <slimbuild/sign/keys.hpp>
#include <slimbuild/util/error.hpp>

namespace slimbuild::sign {

inline constexpr const char* kBundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";
inline constexpr const char* kInTotoPayloadType = "application/vnd.in-toto+json";

// "DSSEv1 <len(type)> <type> <len(body)> <body>" (DSSE protocol spec).
std::string pae(std::string_view payload_type, std::string_view payload);

// Signs `payload` (the exact bytes of an in-toto statement) into a bundle.
nlohmann::json make_bundle(const PrivateKey& key, std::string_view payload,
                           std::string_view payload_type = kInTotoPayloadType);

// Checks the bundle's form and its one DSSE signature against `key`; returns
// the signed payload bytes, or an Error that names the first thing wrong.
Result<std::string> verify_bundle(const nlohmann::json& bundle, const PublicKey& key);

}  // namespace slimbuild::sign
