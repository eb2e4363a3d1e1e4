// The settings slimbuild takes from environment variables, read in one
// place. cli::run snapshots the process environment once, before any work,
// and installs it (set_environment); below src/cli/ every stage asks
// util::environment() by name instead of calling getenv, so a unit test
// installs exactly the variables it means (ScopedEnvironment) and no stage
// sees the environment change under it. Until something is installed the
// environment is empty: library code run outside the CLI gets the defaults.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace slimbuild::util {

class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string, std::less<>> vars) : vars_(std::move(vars)) {}

  // The value, or nullopt when the variable is unset or empty.
  std::optional<std::string> get(std::string_view name) const;
  // The value when the variable is set, even to "" (SOURCE_DATE_EPOCH= is an error, not unset).
  std::optional<std::string> value(std::string_view name) const;
  // A plain decimal number (digits only, no sign, fits 64 bits), or nullopt
  // when unset, empty or anything else: one parser for every numeric knob.
  std::optional<uint64_t> number(std::string_view name) const;
  // A copy with `name` set to `value` (unset when nullopt).
  Environment with(const std::string& name, std::optional<std::string> value) const;

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

const Environment& environment();
void set_environment(Environment env);

// Installs `env` for its lifetime and puts the previous one back (tests).
class ScopedEnvironment {
 public:
  explicit ScopedEnvironment(Environment env);
  explicit ScopedEnvironment(std::map<std::string, std::string, std::less<>> vars)
      : ScopedEnvironment(Environment(std::move(vars))) {}
  ~ScopedEnvironment();
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  Environment saved_;
};

}  // namespace slimbuild::util
