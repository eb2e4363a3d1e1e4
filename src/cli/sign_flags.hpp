// The signing-key flags shared by `build --sign-key` and `sign --key`: the
// PEM file, and where an encrypted key's passphrase comes from (stdin with
// --key-passphrase-stdin, else SLIMBUILD_KEY_PASSPHRASE, read here and only
// here). The key is loaded before any work starts, so a wrong key or
// passphrase fails the command before anything is built.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include <slimbuild/sign/keys.hpp>

namespace slimbuild::cli {

struct SigningKeyFlags {
  std::string key;
  bool passphrase_stdin = false;
};

void add_signing_key_flags(CLI::App* app, SigningKeyFlags& flags, const std::string& name, bool required);

// `stdin_taken`: --password-stdin already reads stdin.
sign::PrivateKey load_signing_key(const SigningKeyFlags& flags, bool stdin_taken);

}  // namespace slimbuild::cli
