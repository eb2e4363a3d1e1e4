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

// The origin credentials are bound to (RFC 6454): "scheme://host:port" with
// scheme and host lowercased, any user-info dropped and the default port made
// explicit (https 443, http 80); empty when `url` has no scheme.
std::string normalized_origin(std::string_view url);
bool same_origin(std::string_view a, std::string_view b);
// "https", "http", ... lowercased; empty without a scheme.
std::string url_scheme(std::string_view url);
// The URL without query or fragment, for messages (presigned storage URLs
// carry signatures in the query).
std::string url_for_message(std::string_view url);

}  // namespace slimbuild::registry
