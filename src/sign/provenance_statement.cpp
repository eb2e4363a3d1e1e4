// Statement layout follows in-toto attestation v1 and SLSA provenance v1:
// buildDefinition (buildType, externalParameters, internalParameters,
// resolvedDependencies) and runDetails (builder, metadata). Dependencies are
// sorted by name so the statement does not depend on traversal order.
#include <slimbuild/sign/provenance_statement.hpp>

#include <algorithm>

#include <slimbuild/image/image_json.hpp>

namespace slimbuild::sign {

using nlohmann::json;

namespace {

std::string hex_of(const std::string& digest) {
  auto colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

// "https://host/x.git/" and "https://host/x" name the same repository.
std::string normalise_repo(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() > 4 && url.ends_with(".git")) url.resize(url.size() - 4);
  if (auto at = url.find('@'), scheme = url.find("://"); at != std::string::npos && scheme != std::string::npos && at > scheme)
    url.erase(scheme + 3, at - scheme - 2);
  return url;
}

}  // namespace

json make_provenance_statement(const ProvenanceInput& in) {
  json subjects = json::array();
  for (const auto& s : in.subjects) subjects.push_back({{"name", s.name}, {"digest", {{"sha256", hex_of(s.digest)}}}});

  std::vector<Dependency> deps = in.dependencies;
  std::stable_sort(deps.begin(), deps.end(), [](const Dependency& a, const Dependency& b) { return a.name < b.name; });
  json resolved = json::array();
  if (!in.source_commit.empty())
    resolved.push_back({{"name", "source"},
                        {"uri", "git+" + (in.source_repository.empty() ? std::string("unknown") : in.source_repository)},
                        {"digest", {{"gitCommit", in.source_commit}}}});
  for (const auto& d : deps) {
    json r{{"name", d.name}};
    if (!d.uri.empty()) r["uri"] = d.uri;
    if (!d.digest.empty()) r["digest"] = d.digest;
    resolved.push_back(std::move(r));
  }

  json source = json::object();
  if (!in.source_repository.empty()) source["repository"] = in.source_repository;
  if (!in.source_commit.empty()) source["commit"] = in.source_commit;
  const std::string when = image::rfc3339(in.epoch);
  return json{{"_type", kStatementType},
              {"subject", subjects},
              {"predicateType", kSlsaProvenanceType},
              {"predicate",
               {{"buildDefinition",
                 {{"buildType", kBuildType},
                  {"externalParameters",
                   {{"manifest", in.manifest_path}, {"source", source}, {"platforms", in.platforms}}},
                  {"internalParameters", {{"sourceDateEpoch", in.epoch}}},
                  {"resolvedDependencies", resolved}}},
                {"runDetails",
                 {{"builder", {{"id", "https://slimbuild.dev/slimbuild"}, {"version", {{"slimbuild", in.builder_version}}}}},
                  {"metadata", {{"startedOn", when}, {"finishedOn", when}}}}}}}};
}

json statement_source(const json& statement) {
  const json* j = &statement;
  for (const char* key : {"predicate", "buildDefinition", "externalParameters", "source"}) {
    if (!j->is_object() || !j->contains(key)) return json::object();
    j = &(*j)[key];
  }
  return j->is_object() ? *j : json::object();
}

Result<json> check_statement(const std::string& payload, const StatementExpectations& expect) {
  json st = json::parse(payload, nullptr, false);
  if (!st.is_object() || st.value("_type", "") != kStatementType)
    return std::unexpected(Error("the signed payload is not an in-toto Statement v1"));
  if (!st.contains("subject") || !st["subject"].is_array())
    return std::unexpected(Error("the signed statement has no subject"));
  const std::string want = hex_of(expect.subject_digest);
  bool found = false;
  std::string seen;
  for (const auto& s : st["subject"]) {
    if (!s.is_object() || !s.contains("digest") || !s["digest"].is_object()) continue;
    std::string got = s["digest"].value("sha256", "");
    if (got == want) found = true;
    if (seen.empty()) seen = got;
  }
  if (!found)
    return std::unexpected(Error("the signature is for another image: its statement names sha256:" + seen.substr(0, 16) +
                                     "..., but this image is " + expect.subject_digest,
                                 "the bundle was copied from another image; sign this image"));
  if (st.value("predicateType", "") != kSlsaProvenanceType)
    return std::unexpected(Error("the signed statement is not SLSA provenance v1 (predicateType " +
                                 st.value("predicateType", std::string("missing")) + ")"));
  const json source = statement_source(st);
  if (expect.source_commit) {
    std::string commit = source.value("commit", "");
    const std::string& c = *expect.source_commit;
    bool match = !commit.empty() && (c == commit || (c.size() >= 7 && commit.rfind(c, 0) == 0));
    if (!match)
      return std::unexpected(Error("the image was built from commit " + (commit.empty() ? std::string("(none recorded)") : commit) +
                                       ", not " + c));
  }
  if (expect.source_repo) {
    std::string repo = source.value("repository", "");
    if (repo.empty() || normalise_repo(repo) != normalise_repo(*expect.source_repo))
      return std::unexpected(Error("the image was built from repository " + (repo.empty() ? std::string("(none recorded)") : repo) +
                                       ", not " + *expect.source_repo));
  }
  return st;
}

}  // namespace slimbuild::sign
