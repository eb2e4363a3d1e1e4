// Typed reading of the YAML tree with errors that point at the node. Every
// check records a diagnostic instead of throwing, so one run of slimbuild
// reports every problem in the manifest (like a compiler), and the whole
// list is thrown as one ManifestError at the end. Readers return nothing
// when the value was wrong; callers simply skip what depends on it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <slimbuild/manifest/manifest.hpp>

#include <slimbuild/manifest/yaml_tree.hpp>

namespace slimbuild::manifest {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  const std::string& file() const noexcept { return file_; }
  SourceLocation at(const YamlNode& node) const { return SourceLocation{file_, node.line, node.column}; }

  void error(const SourceLocation& where, std::string message, std::string hint = {});
  void error(const YamlNode& node, std::string message, std::string hint = {}) {
    error(at(node), std::move(message), std::move(hint));
  }
  // Enough errors that further expensive checks (zone lookups) would only
  // slow down a hostile or badly broken file: callers may stop early.
  bool full() const noexcept { return items_.size() >= 100; }

  // Throws one ManifestError located at the first problem (in file order),
  // listing the others on the following lines. Does nothing when all is well.
  void throw_if_any() const;

 private:
  struct Item {
    SourceLocation where;
    std::string message;
    std::string hint;
  };
  std::string file_;
  std::vector<Item> items_;
};

// The keys of one mapping, checked against those it may hold: unknown keys
// (with "did you mean") and repeated keys are reported on construction.
class Fields {
 public:
  Fields(const YamlNode& mapping, std::string path, std::vector<std::string> allowed, Diagnostics& diag);

  // The value of `key`, or nullptr when absent or written as null ("key:"),
  // which for an optional key means "use the default".
  const YamlNode* get(std::string_view key) const;
  // Like get(), but a missing or empty key is reported at the mapping.
  const YamlNode* require(std::string_view key) const;
  // The key node itself, for errors about the key ("root is refused" at uid).
  const YamlNode* key_node(std::string_view key) const;
  // "files[1].dest": how messages name a value.
  std::string path(std::string_view key) const { return path_.empty() ? std::string(key) : path_ + "." + std::string(key); }

 private:
  const std::pair<NodePtr, NodePtr>* find(std::string_view key) const;

  const YamlNode& mapping_;
  std::string path_;
  Diagnostics& diag_;
  // Keys offered as "did you mean": their absence is already explained.
  std::vector<std::string> suggested_;
};

// A scalar with the node it came from, for per-item checks.
struct ScalarItem {
  std::string value;
  const YamlNode* node;
};
struct KeyValueItem {
  ScalarItem key;
  ScalarItem value;
};

// "a mapping", "a list", "null", "the number 3", "the string 'abc'".
std::string describe(const YamlNode& node);

// Plain true/false (YAML 1.2 core schema spellings).
std::optional<bool> as_bool(const YamlNode& node);
// A decimal integer, plain or quoted ("65532"); nothing if it is not one or overflows.
std::optional<std::int64_t> as_integer(const YamlNode& node);

// Any scalar, as written (numbers and booleans keep their YAML text).
std::optional<std::string> read_string(const YamlNode& node, std::string_view what, Diagnostics& diag);
// A list of scalars. A lone scalar is refused with a hint to write [value].
// `noun` names the items in messages: "ports must be a list of ports".
std::optional<std::vector<ScalarItem>> read_string_list(const YamlNode& node, std::string_view what,
                                                         Diagnostics& diag, std::string_view noun = "string");
// A mapping of scalars to scalars (env, labels); repeated keys are reported.
std::optional<std::vector<KeyValueItem>> read_string_map(const YamlNode& node, std::string_view what,
                                                          Diagnostics& diag);
// read_string_map for names with a key rule (labels, annotations): a key that is
// empty or holds any of `forbidden` is reported as `rule`; the rest are kept.
std::map<std::string, std::string> read_named_strings(const YamlNode& node, std::string_view what,
                                                      std::string_view forbidden, const std::string& rule,
                                                      Diagnostics& diag);
// Reports a mapping that was expected to be something else, etc.
void wrong_type(const YamlNode& node, std::string_view what, std::string_view expected, Diagnostics& diag,
                std::string hint = {});

}  // namespace slimbuild::manifest
