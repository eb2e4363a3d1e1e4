// The installed environment snapshot and its one number parser.
#include <slimbuild/util/environment.hpp>

#include <charconv>

namespace slimbuild::util {

namespace {
Environment& installed() {
  static Environment env;
  return env;
}
}  // namespace

std::optional<std::string> Environment::get(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Environment::value(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> Environment::number(std::string_view name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size()) return std::nullopt;
  return n;
}

const Environment& environment() { return installed(); }
void set_environment(Environment env) { installed() = std::move(env); }

Environment Environment::with(const std::string& name, std::optional<std::string> value) const {
  Environment out = *this;
  if (value)
    out.vars_[name] = std::move(*value);
  else
    out.vars_.erase(name);
  return out;
}

ScopedEnvironment::ScopedEnvironment(Environment env) : saved_(installed()) { installed() = std::move(env); }
ScopedEnvironment::~ScopedEnvironment() { installed() = std::move(saved_); }

}  // namespace slimbuild::util
