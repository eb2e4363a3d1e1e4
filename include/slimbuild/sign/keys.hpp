// Signing keys for image signatures: ECDSA P-256 and Ed25519 private keys in
// PEM (PKCS#8 as `openssl genpkey` writes them, or SEC1 "EC PRIVATE KEY"),
// optionally encrypted, and the matching public keys. Everything goes
// through OpenSSL; key material never reaches a message.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

typedef struct evp_pkey_st EVP_PKEY;  // OpenSSL's, from <openssl/types.h>

namespace slimbuild::sign {

namespace fs = std::filesystem;

enum class KeyType { EcdsaP256, Ed25519 };

const char* to_string(KeyType type);

class PublicKey {
 public:
  // Throws Error naming the file and what is wrong with it.
  static PublicKey load_pem_file(const fs::path& file);
  static PublicKey from_pem(std::string_view pem, const std::string& what);

  KeyType type() const { return type_; }
  // SubjectPublicKeyInfo, DER and PEM.
  const std::string& der() const { return der_; }
  std::string pem() const;
  // The key's name in a bundle: lowercase hex SHA-256 of the DER SPKI.
  std::string hint() const;
  // ECDSA: ASN.1 DER signature over SHA-256(data); Ed25519: pure.
  bool verify(std::string_view data, std::string_view signature) const;

  // Takes a public (or private: only its public half is used) key.
  explicit PublicKey(std::shared_ptr<EVP_PKEY> key);

 private:
  std::shared_ptr<EVP_PKEY> key_;
  KeyType type_ = KeyType::Ed25519;
  std::string der_;
};

class PrivateKey {
 public:
  // `passphrase` for encrypted keys; nullopt and an encrypted key is an
  // Error that says how to give one. Throws Error for anything but a P-256
  // or Ed25519 private key.
  static PrivateKey load_pem_file(const fs::path& file, const std::optional<std::string>& passphrase);

  const PublicKey& public_key() const { return public_; }
  std::string sign(std::string_view data) const;

 private:
  PrivateKey(std::shared_ptr<EVP_PKEY> key, PublicKey pub) : key_(std::move(key)), public_(std::move(pub)) {}
  std::shared_ptr<EVP_PKEY> key_;
  PublicKey public_;
};

}  // namespace slimbuild::sign
