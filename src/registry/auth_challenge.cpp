// A small recursive-descent parser over the RFC 7235 grammar. It never reads
// past the end, bounds the input size, and rejects control characters, so a
// hostile registry can only make it return an error.
#include <slimbuild/registry/auth_challenge.hpp>

#include <algorithm>
#include <cctype>

namespace slimbuild::registry {

namespace {

constexpr std::size_t kMaxHeader = 16 * 1024;

bool is_tchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<std::vector<AuthChallenge>> run() {
    std::vector<AuthChallenge> out;
    skip_list_separators();
    while (!at_end()) {
      std::string_view scheme = token();
      if (scheme.empty()) return fail("expected an authentication scheme");
      AuthChallenge ch;
      ch.scheme = lower(scheme);
      skip_spaces();
      if (auto r = parse_params(ch); !r) return std::unexpected(r.error());
      out.push_back(std::move(ch));
      skip_list_separators();
    }
    if (out.empty()) return fail("no challenge");
    return out;
  }

 private:
  Result<void> parse_params(AuthChallenge& ch) {
    while (!at_end() && s_[i_] != ',') {
      std::size_t mark = i_;
      std::string_view name = token();
      if (name.empty()) return std::unexpected(error("unexpected character"));
      skip_spaces();
      if (at_end() || s_[i_] != '=') {
        // No '=' after a bare word: it is the next challenge's scheme.
        i_ = mark;
        return {};
      }
      // token68 is a word ending in '=' padding with nothing after it.
      std::size_t eq = i_;
      while (i_ < s_.size() && s_[i_] == '=') ++i_;
      if (i_ - eq > 1 || at_end() || s_[i_] == ',') {
        ch.token68 = std::string(s_.substr(mark, i_ - mark));
        return {};
      }
      skip_spaces();
      std::string value;
      if (!at_end() && s_[i_] == '"') {
        auto q = quoted();
        if (!q) return std::unexpected(q.error());
        value = std::move(*q);
      } else {
        value = std::string(token());
        if (value.empty()) return std::unexpected(error("parameter '" + std::string(name) + "' has no value"));
      }
      ch.params[lower(name)] = std::move(value);
      skip_spaces();
      // After a parameter: ',' then either another parameter or a new challenge.
      if (!at_end() && s_[i_] == ',') {
        std::size_t comma = i_;
        skip_list_separators();
        std::size_t next = i_;
        std::string_view word = token();
        skip_spaces();
        bool is_param = !word.empty() && !at_end() && s_[i_] == '=';
        i_ = is_param ? next : comma;
        if (!is_param) return {};
      } else if (!at_end()) {
        return std::unexpected(error("expected ',' after parameter '" + std::string(name) + "'"));
      }
    }
    return {};
  }

  Result<std::string> quoted() {
    ++i_;  // opening quote
    std::string out;
    while (!at_end()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (at_end()) break;
        c = s_[i_++];
      }
      out.push_back(c);
    }
    return std::unexpected(error("unterminated quoted string"));
  }

  std::string_view token() {
    std::size_t start = i_;
    while (i_ < s_.size() && is_tchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  void skip_spaces() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
  }
  void skip_list_separators() {
    while (i_ < s_.size() && (is_space(s_[i_]) || s_[i_] == ',')) ++i_;
  }
  bool at_end() const { return i_ >= s_.size(); }
  Error error(const std::string& what) const {
    return Error("malformed WWW-Authenticate header from the registry: " + what + " at offset " + std::to_string(i_),
                 "the registry's authentication answer could not be understood; check the registry address");
  }
  Result<std::vector<AuthChallenge>> fail(const std::string& what) const { return std::unexpected(error(what)); }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header) {
  if (header.size() > kMaxHeader)
    return std::unexpected(Error("malformed WWW-Authenticate header from the registry: longer than 16 KiB"));
  for (char c : header)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
      return std::unexpected(Error("malformed WWW-Authenticate header from the registry: control character"));
  return Parser(header).run();
}

}  // namespace slimbuild::registry
