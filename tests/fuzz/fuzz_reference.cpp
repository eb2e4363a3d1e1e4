// Fuzz target: image references as docker normalises them, and the Location
// and query plumbing that registry answers feed into.
#include <slimbuild/registry/reference.hpp>
#include "registry/url.hpp"

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slimbuild;
  std::string_view text = fuzz::as_view(data, size);
  fuzz::expect_only_errors([&] {
    auto r = registry::parse_reference(text);
    if (r) {
      (void)r->str();
      (void)r->name();
      (void)r->api_host();
      (void)r->manifest_ref();
    }
    // The input as a Location answer to an upload request.
    std::string loc = registry::resolve_location("https://registry.test:5000/v2/team/app/blobs/uploads/", text);
    (void)registry::url_origin(loc);
    (void)registry::url_host(loc);
    (void)registry::add_query(loc, "digest", text);
  });
  return 0;
}
