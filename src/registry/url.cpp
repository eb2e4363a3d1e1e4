// Minimal RFC 3986 reference resolution: enough for the Location values
// registries really send, with "." and ".." segments removed from relative ones.
#include "registry/url.hpp"

#include <cctype>
#include <vector>

namespace slimbuild::registry {

namespace {

std::string_view scheme_of(std::string_view url) {
  auto p = url.find("://");
  return p == std::string_view::npos ? std::string_view() : url.substr(0, p);
}

std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;  // path starts with '/'
  bool trailing = false;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    std::string_view seg = path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    trailing = end == std::string_view::npos && (seg == "." || seg == "..");
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (seg != ".") {
      out.push_back(seg);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::string result;
  for (auto s : out) {
    result += '/';
    result += s;
  }
  if (trailing || result.empty()) result += '/';
  return result;
}

}  // namespace

std::string url_origin(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return {};
  auto slash = url.find_first_of("/?#", p + 3);
  return std::string(url.substr(0, slash));
}

std::string url_host(std::string_view url) {
  std::string origin = url_origin(url);
  auto p = origin.find("://");
  return p == std::string::npos ? origin : origin.substr(p + 3);
}

std::string url_scheme(std::string_view url) {
  std::string s(scheme_of(url));
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string normalized_origin(std::string_view url) {
  std::string scheme = url_scheme(url);
  if (scheme.empty()) return {};
  std::string authority = url_host(url);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  for (auto& c : authority) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // A port follows the last ':' unless that ':' is inside an IPv6 literal.
  auto colon = authority.rfind(':');
  bool has_port = colon != std::string::npos && authority.find(']', colon) == std::string::npos;
  if (has_port && colon + 1 == authority.size()) authority.pop_back(), has_port = false;  // "host:" = default
  if (!has_port) authority += scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
  return scheme + "://" + authority;
}

bool same_origin(std::string_view a, std::string_view b) {
  std::string oa = normalized_origin(a);
  return !oa.empty() && oa == normalized_origin(b);
}

std::string url_for_message(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

std::string resolve_location(std::string_view request_url, std::string_view location) {
  if (!scheme_of(location).empty()) return std::string(location);
  if (location.substr(0, 2) == "//") return std::string(scheme_of(request_url)) + ":" + std::string(location);
  std::string origin = url_origin(request_url);
  auto split_query = [](std::string_view l) {
    auto q = l.find_first_of("?#");
    return std::pair{l.substr(0, q), q == std::string_view::npos ? std::string_view() : l.substr(q)};
  };
  auto [lpath, lquery] = split_query(location);
  if (!location.empty() && location.front() == '/') return origin + remove_dot_segments(lpath) + std::string(lquery);
  // Relative: merge with the directory of the request's path.
  std::string_view rpath = std::string_view(request_url).substr(origin.size());
  rpath = rpath.substr(0, rpath.find_first_of("?#"));
  if (rpath.empty()) rpath = "/";
  if (lpath.empty()) return origin + std::string(rpath) + std::string(lquery);
  std::string merged(rpath.substr(0, rpath.rfind('/') + 1));
  merged += lpath;
  return origin + remove_dot_segments(merged) + std::string(lquery);
}

std::string percent_encode(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string add_query(std::string_view url, std::string_view name, std::string_view value) {
  std::string out(url);
  auto hash = out.find('#');
  if (hash != std::string::npos) out.erase(hash);
  out += out.find('?') == std::string::npos ? '?' : '&';
  out += name;
  out += '=';
  out += percent_encode(value);
  return out;
}

}  // namespace slimbuild::registry
