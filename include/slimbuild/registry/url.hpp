// URL plumbing for the distribution API: resolving the Location header an
// upload session returns (absolute, scheme-relative, absolute-path or
// relative, as RFC 3986 allows), adding query parameters, and
// percent-encoding values (scopes, digests) for a query string.
#pragma once

#include <string>
#include <string_view>

namespace slimbuild::registry {

// Resolves `location` against the URL of the request that returned it.
std::string resolve_location(std::string_view request_url, std::string_view location);

// Appends "name=value" (value percent-encoded) with '?' or '&' as needed.
std::string add_query(std::string_view url, std::string_view name, std::string_view value);

std::string percent_encode(std::string_view value);

// "https://host:port" part of a URL (scheme and authority).
std::string url_origin(std::string_view url);

// The authority ("host:port") of a URL, for matching redirects and messages.
std::string url_host(std::string_view url);

}  // namespace slimbuild::registry
