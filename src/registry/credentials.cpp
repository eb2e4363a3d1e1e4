// Credential lookup across docker/podman auth files and credential helpers.
// Secrets read here only ever travel in the returned struct; messages name
// files, keys and helpers but never values.
#include <slimbuild/registry/credentials.hpp>

#include <openssl/evp.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include <slimbuild/registry/reference.hpp>
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/process.hpp>

namespace slimbuild::registry {

namespace {

std::string env(const char* name) { return util::environment().get(name).value_or(""); }

std::optional<std::string> base64_decode(const std::string& in) {
  if (in.size() % 4 != 0 || in.size() > 64 * 1024) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// A helper that prompts (a locked keychain, gpg's pinentry without a tty)
// must not hang a build or push for ever.
constexpr std::chrono::milliseconds kHelperTimeout{60'000};

bool is_docker_hub(const std::string& key) {
  return key == "docker.io" || key == "index.docker.io" || key == "registry-1.docker.io";
}

Result<std::optional<Credentials>> from_helper(util::ProcessRunner& runner, const std::string& helper,
                                               const std::string& registry) {
  std::string program = "docker-credential-" + helper;
  if (helper.empty() || helper.find('/') != std::string::npos)
    return std::unexpected(Error("invalid credential helper name '" + helper + "'"));
  if (!runner.has_program(program))
    return std::unexpected(Error("credential helper " + program + " is configured but not found in PATH",
                                 "install it, or remove credsStore/credHelpers from your docker config"));
  util::ProcessOptions opts;
  opts.input = credential_server_url(registry) + "\n";
  opts.timeout = kHelperTimeout;
  util::ProcessResult r = runner.run({program, "get"}, opts);
  const std::string check = "check that the helper works: echo " + credential_server_url(registry) + " | " + program + " get";
  if (r.timed_out)
    return std::unexpected(Error(program + " get did not answer within " + std::to_string(kHelperTimeout.count() / 1000) +
                                     " seconds (it may be waiting for a prompt or an unlocked keychain)",
                                 check));
  if (r.exit_code == -1)
    return std::unexpected(Error(program + " could not be started: " + r.err.substr(0, 200), check));
  if (!r.ok()) {
    // Helpers say "credentials not found in native keychain" for a miss.
    if (r.out.find("not found") != std::string::npos || r.err.find("not found") != std::string::npos)
      return std::optional<Credentials>();
    return std::unexpected(Error(program + " get failed with exit code " + std::to_string(r.exit_code), check));
  }
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_object() || !j.contains("Secret") || !j["Secret"].is_string())
    return std::unexpected(Error(program + " get did not print a JSON object with a Secret", check));
  Credentials c;
  c.username = j.value("Username", "");
  if (c.username == "<token>") {
    c.username.clear();
    c.identity_token = j["Secret"].get<std::string>();
  } else {
    c.password = j["Secret"].get<std::string>();
  }
  c.source = program;
  return std::optional<Credentials>(std::move(c));
}

Result<std::optional<Credentials>> from_auth_entry(const nlohmann::json& e, const fs::path& file, const std::string& key) {
  if (!e.is_object()) return std::unexpected(Error(file.string() + ": auths[\"" + key + "\"] is not an object"));
  Credentials c;
  c.source = file.string();
  auto str = [&](const char* name) { return e.contains(name) && e[name].is_string() ? e[name].get<std::string>() : ""; };
  if (std::string a = str("auth"); !a.empty()) {
    auto decoded = base64_decode(a);
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      return std::unexpected(Error(file.string() + ": auths[\"" + key + "\"].auth is not base64 of user:password",
                                   "log in again (docker login / podman login) to rewrite it"));
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  } else {
    c.username = str("username");
    c.password = str("password");
  }
  c.identity_token = str("identitytoken");
  if (c.username.empty() && c.password.empty() && c.identity_token.empty()) return std::optional<Credentials>();
  return std::optional<Credentials>(std::move(c));
}

}  // namespace

std::vector<fs::path> auth_file_candidates() {
  std::vector<fs::path> files;
  if (std::string f = env("REGISTRY_AUTH_FILE"); !f.empty()) files.emplace_back(f);
  if (std::string x = env("XDG_RUNTIME_DIR"); !x.empty()) files.push_back(fs::path(x) / "containers" / "auth.json");
  if (std::string d = env("DOCKER_CONFIG"); !d.empty())
    files.push_back(fs::path(d) / "config.json");
  else if (std::string h = env("HOME"); !h.empty())
    files.push_back(fs::path(h) / ".docker" / "config.json");
  return files;
}

std::string credential_server_url(const std::string& registry) {
  return is_docker_hub(registry) ? "https://index.docker.io/v1/" : registry;
}

std::string normalize_auth_key(std::string_view key) {
  if (auto p = key.find("://"); p != std::string_view::npos) key.remove_prefix(p + 3);
  key = key.substr(0, key.find('/'));
  std::string k(key);
  for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return is_docker_hub(k) ? kDockerHubDomain : k;
}

Result<std::optional<Credentials>> lookup_credentials(const std::string& registry, const std::vector<fs::path>& files,
                                                      util::ProcessRunner& runner) {
  const std::string want = normalize_auth_key(registry);
  for (const auto& file : files) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) continue;
    nlohmann::json cfg = nlohmann::json::parse(util::read_file(file), nullptr, false);
    if (!cfg.is_object())
      return std::unexpected(Error(file.string() + " is not valid JSON", "fix or remove the file, then log in again"));

    if (cfg.contains("credHelpers") && cfg["credHelpers"].is_object())
      for (auto& [key, helper] : cfg["credHelpers"].items())
        if (normalize_auth_key(key) == want && helper.is_string()) {
          auto c = from_helper(runner, helper.get<std::string>(), want);
          if (!c)  // say which file configured the helper, so the user knows what to edit
            return std::unexpected(Error(std::string(c.error().what()) + " (credHelpers[\"" + key + "\"] in " +
                                             file.string() + ")",
                                         c.error().hint()));
          return c;
        }

    std::optional<Credentials> inline_entry;
    if (cfg.contains("auths") && cfg["auths"].is_object()) {
      for (auto& [key, entry] : cfg["auths"].items()) {
        if (normalize_auth_key(key) != want) continue;
        auto c = from_auth_entry(entry, file, key);
        if (!c) return std::unexpected(c.error());
        if (*c) {
          inline_entry = std::move(*c);
          break;
        }
      }
    }
    if (cfg.contains("credsStore") && cfg["credsStore"].is_string() && !cfg["credsStore"].get<std::string>().empty()) {
      const std::string store = cfg["credsStore"].get<std::string>();
      // A global store left behind by Docker Desktop must not block pushes to
      // registries that need no login; a helper named for this host does (credHelpers).
      if (!runner.has_program("docker-credential-" + store)) {
        util::warn("credsStore \"" + store + "\" in " + file.string() + " names docker-credential-" + store +
                   ", which is not in PATH; ignoring it");
        if (inline_entry) return inline_entry;
        continue;
      }
      auto c = from_helper(runner, store, want);
      if (!c) return c;
      if (*c) return c;
    }
    if (inline_entry) return inline_entry;
  }
  return std::optional<Credentials>();
}

}  // namespace slimbuild::registry
