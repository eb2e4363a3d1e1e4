// Key loading and raw signatures. A passphrase reaches OpenSSL only through
// the PEM callback; failures are reported by what the user can check (the
// file, its type, a missing or wrong passphrase), never with key bytes.
#include <slimbuild/sign/keys.hpp>

#include <cstring>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::sign {

namespace {

using Bio = util::CHandle<BIO, BIO_free>;
using MdCtx = util::CHandle<EVP_MD_CTX, EVP_MD_CTX_free>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) { return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free); }

// The key's type, or Error for anything we do not sign with.
KeyType key_type(EVP_PKEY* key, const std::string& what) {
  int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_ED25519) return KeyType::Ed25519;
  if (id == EVP_PKEY_EC) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1 &&
        (std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0))
      return KeyType::EcdsaP256;
    throw Error(what + " is an EC key on curve " + (len ? std::string(group) : "?") + ", not P-256",
                "make one with: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem");
  }
  throw Error(what + " is a " + std::string(OBJ_nid2sn(id) ? OBJ_nid2sn(id) : "unknown") +
                  " key; slimbuild signs with ECDSA P-256 or Ed25519 keys",
              "make one with: openssl genpkey -algorithm ed25519 -out key.pem");
}

std::string read_key_file(const fs::path& file, const char* what) {
  std::error_code ec;
  auto st = fs::status(file, ec);
  if (ec || !fs::exists(st)) throw Error(std::string(what) + " " + file.string() + " does not exist", "check the path");
  if (!fs::is_regular_file(st)) throw Error(std::string(what) + " " + file.string() + " is not a file", "check the path");
  if (fs::file_size(file, ec) > (1u << 20)) throw Error(std::string(what) + " " + file.string() + " is larger than 1 MiB: not a PEM key");
  return util::read_file(file);
}

struct PassphraseState {
  const std::optional<std::string>* passphrase;
  bool asked = false;
};

int passphrase_cb(char* buf, int size, int /*rwflag*/, void* u) {
  auto* state = static_cast<PassphraseState*>(u);
  state->asked = true;
  if (!*state->passphrase) return -1;
  const std::string& p = **state->passphrase;
  if (p.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buf, p.data(), p.size());
  return static_cast<int>(p.size());
}

}  // namespace

const char* to_string(KeyType type) { return type == KeyType::EcdsaP256 ? "ecdsa-p256" : "ed25519"; }

PublicKey::PublicKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {
  type_ = key_type(key_.get(), "the key");
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key_.get(), &der);
  if (n <= 0) throw Error("cannot encode the public key");
  der_.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
}

PublicKey PublicKey::from_pem(std::string_view pem, const std::string& what) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  // A callback that refuses, so OpenSSL never prompts on the terminal.
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, [](char*, int, int, void*) { return -1; }, nullptr);
  ERR_clear_error();
  if (!key) {
    if (pem.find("PRIVATE KEY") != std::string_view::npos)
      throw Error(what + " holds a private key, not a public key",
                  "pass the public key: openssl pkey -in key.pem -pubout -out key.pub");
    throw Error(what + " is not a PEM public key (-----BEGIN PUBLIC KEY-----)",
                "export it with: openssl pkey -in key.pem -pubout -out key.pub");
  }
  return PublicKey(own(key));
}

PublicKey PublicKey::load_pem_file(const fs::path& file) {
  return from_pem(read_key_file(file, "public key"), "public key " + file.string());
}

std::string PublicKey::pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key_.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string PublicKey::hint() const { return util::sha256_hex(der_); }

bool PublicKey::verify(std::string_view data, std::string_view signature) const {
  MdCtx ctx(EVP_MD_CTX_new());
  const EVP_MD* md = type_ == KeyType::EcdsaP256 ? EVP_sha256() : nullptr;
  bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key_.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  ERR_clear_error();
  return ok;
}

PrivateKey PrivateKey::load_pem_file(const fs::path& file, const std::optional<std::string>& passphrase) {
  std::string pem = read_key_file(file, "signing key");
  const std::string what = "signing key " + file.string();
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PassphraseState state{&passphrase};
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_cb, &state);
  ERR_clear_error();
  std::fill(pem.begin(), pem.end(), '\0');
  if (!raw) {
    if (state.asked && !passphrase)
      throw Error(what + " is encrypted and no passphrase was given",
                  "pass it on standard input with --key-passphrase-stdin, or in SLIMBUILD_KEY_PASSPHRASE");
    if (state.asked) throw Error(what + ": the passphrase is wrong (the key could not be decrypted)",
                                 "check the passphrase given with --key-passphrase-stdin or SLIMBUILD_KEY_PASSPHRASE");
    throw Error(what + " is not a PEM private key", "make one with: openssl genpkey -algorithm ed25519 -out key.pem");
  }
  auto key = own(raw);
  key_type(raw, what);
  return PrivateKey(key, PublicKey(key));
}

std::string PrivateKey::sign(std::string_view data) const {
  MdCtx ctx(EVP_MD_CTX_new());
  const EVP_MD* md = public_.type() == KeyType::EcdsaP256 ? EVP_sha256() : nullptr;
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    ERR_clear_error();
    throw Error("signing failed: OpenSSL could not use the key");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    ERR_clear_error();
    throw Error("signing failed: OpenSSL could not use the key");
  }
  sig.resize(len);
  return sig;
}

}  // namespace slimbuild::sign
