#include "cli/sign_flags.hpp"

#include <cstdlib>
#include <iostream>
#include <iterator>

#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/error.hpp>

namespace slimbuild::cli {

void add_signing_key_flags(CLI::App* app, SigningKeyFlags& flags, const std::string& name, bool required) {
  auto* opt = app->add_option(name, flags.key, "Private key (PEM: ECDSA P-256 or Ed25519, as openssl genpkey writes it)");
  if (required) opt->required();
  app->add_flag("--key-passphrase-stdin", flags.passphrase_stdin,
                "Read the key's passphrase from stdin (else SLIMBUILD_KEY_PASSPHRASE)");
}

sign::PrivateKey load_signing_key(const SigningKeyFlags& flags, bool stdin_taken) {
  std::optional<std::string> passphrase;
  if (flags.passphrase_stdin) {
    if (stdin_taken)
      throw Error("--key-passphrase-stdin and --password-stdin both want stdin",
                  "give the key passphrase in SLIMBUILD_KEY_PASSPHRASE instead", kExitUsage);
    std::string p((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) p.pop_back();
    passphrase = std::move(p);
  } else if (auto env = util::environment().value("SLIMBUILD_KEY_PASSPHRASE")) {
    passphrase = std::move(*env);
  }
  return sign::PrivateKey::load_pem_file(flags.key, passphrase);
}

}  // namespace slimbuild::cli
