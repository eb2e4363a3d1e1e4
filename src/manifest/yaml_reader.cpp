// Diagnostics collection, key checking and the scalar/list/map readers.
// Scalars are resolved the way YAML 1.2's core schema does (plain true/false
// are booleans, plain digits are numbers); quoted scalars are always strings.
#include <slimbuild/manifest/yaml_reader.hpp>

#include <algorithm>
#include <charconv>
#include <map>

#include <slimbuild/manifest/did_you_mean.hpp>

namespace slimbuild::manifest {

namespace {

// What a filled-in key looks like, for "X has no value" hints.
std::string example_for(const std::string& key_path) {
  static const std::pair<const char*, const char*> kExamples[] = {
      {"name", "name: hello"},           {"binary", "binary: build/hello"},
      {"user", "user: {uid: 65532}"},    {"binary.path", "path: build/hello"},
      {"user.uid", "uid: 65532"},        {"image", "image: registry.example.com/team/hello:1.0"},
  };
  for (const auto& [key, example] : kExamples)
    if (key_path == key) return example;
  std::string leaf = key_path.substr(key_path.find_last_of('.') + 1);
  return leaf + ": <value>, or remove the key to use the default";
}

// Enough to fix a badly broken file in a couple of rounds without burying
// the first (usually causal) error under a screenful.
constexpr std::size_t kMaxReported = 20;

std::string shortened(const std::string& s) {
  constexpr std::size_t kMax = 60;
  std::string out = s.size() > kMax ? s.substr(0, kMax) + "..." : s;
  for (char& c : out)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return out;
}

// Records `key` as seen; reports it and returns true if it was seen before.
using SeenKeys = std::map<std::string, int, std::less<>>;
bool repeated_key(const YamlNode& key, SeenKeys& seen, std::string_view where, Diagnostics& diag) {
  auto [it, fresh] = seen.emplace(key.value, key.line);
  if (fresh) return false;
  diag.error(key,
             "duplicate key '" + shortened(key.value) + "'" + std::string(where) + " (first set at line " +
                 std::to_string(it->second) + ")",
             "a YAML mapping cannot repeat a key; keep one of them");
  return true;
}

// yaml-cpp does not implement "<<: *base"; say so instead of "unknown key '<<'".
bool is_merge_key(const YamlNode& key, std::string_view where, Diagnostics& diag) {
  if (key.value != "<<" || !key.plain) return false;
  diag.error(key, "YAML merge keys ('<<')" + std::string(where) + " are not supported",
             "write the keys out, or repeat a whole value with an alias (*name)");
  return true;
}

}  // namespace

void Diagnostics::error(const SourceLocation& where, std::string message, std::string hint) {
  items_.push_back(Item{where, std::move(message), std::move(hint)});
}

void Diagnostics::throw_if_any() const {
  if (items_.empty()) return;
  std::vector<Item> sorted = items_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Item& a, const Item& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  std::string message = sorted[0].message;
  std::size_t shown = std::min(sorted.size(), kMaxReported);
  for (std::size_t i = 1; i < shown; ++i) {
    message += "\n" + sorted[i].where.str() + ": " + sorted[i].message;
    if (!sorted[i].hint.empty()) message += " (" + sorted[i].hint + ")";
  }
  if (sorted.size() > shown) message += "\n... and " + std::to_string(sorted.size() - shown) + " more problems";
  throw ManifestError(sorted[0].where, message, sorted[0].hint);
}

Fields::Fields(const YamlNode& mapping, std::string path, std::vector<std::string> allowed, Diagnostics& diag)
    : mapping_(mapping), path_(std::move(path)), diag_(diag) {
  SeenKeys seen;
  const std::string where = path_.empty() ? "" : " in " + path_;
  for (const auto& [key, value] : mapping_.entries) {
    if (repeated_key(*key, seen, where, diag_)) continue;
    if (std::find(allowed.begin(), allowed.end(), key->value) != allowed.end()) continue;
    if (is_merge_key(*key, where, diag_)) continue;
    if (auto near = did_you_mean(key->value, allowed)) {
      diag_.error(*key, "unknown key '" + shortened(key->value) + "'" + where + "; did you mean '" + *near + "'?");
      suggested_.push_back(*near);
    } else {
      diag_.error(*key, "unknown key '" + shortened(key->value) + "'" + where,
                  "allowed keys are " + quoted_list(allowed));
    }
  }
}

const std::pair<NodePtr, NodePtr>* Fields::find(std::string_view key) const {
  for (const auto& entry : mapping_.entries)
    if (entry.first->value == key) return &entry;
  return nullptr;
}

const YamlNode* Fields::get(std::string_view key) const {
  const auto* entry = find(key);
  if (!entry || entry->second->kind == YamlNode::Kind::Null) return nullptr;
  return entry->second.get();
}

const YamlNode* Fields::require(std::string_view key) const {
  const auto* entry = find(key);
  if (!entry) {
    // "unknown key 'dset'; did you mean 'dest'?" already says what is missing.
    if (std::find(suggested_.begin(), suggested_.end(), key) != suggested_.end()) return nullptr;
    std::string owner = path_.empty() ? "the manifest" : path_;
    diag_.error(mapping_, owner + " is missing the required key '" + std::string(key) + "'");
    return nullptr;
  }
  if (entry->second->kind == YamlNode::Kind::Null) {
    diag_.error(*entry->first, path(key) + " has no value", "give it one, e.g. " + example_for(path(key)));
    return nullptr;
  }
  return entry->second.get();
}

const YamlNode* Fields::key_node(std::string_view key) const {
  const auto* entry = find(key);
  return entry ? entry->first.get() : nullptr;
}

std::optional<bool> as_bool(const YamlNode& node) {
  if (node.kind != YamlNode::Kind::Scalar || !node.plain) return std::nullopt;
  const std::string& v = node.value;
  if (v == "true" || v == "True" || v == "TRUE") return true;
  if (v == "false" || v == "False" || v == "FALSE") return false;
  return std::nullopt;
}

std::optional<std::int64_t> as_integer(const YamlNode& node) {
  if (node.kind != YamlNode::Kind::Scalar) return std::nullopt;
  std::string_view v = node.value;
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return out;
}

std::string describe(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::Null: return "null";
    case YamlNode::Kind::Sequence: return "a list";
    case YamlNode::Kind::Mapping: return "a mapping";
    case YamlNode::Kind::Scalar: break;
  }
  if (node.plain && as_bool(node)) return "the boolean " + node.value;
  if (node.plain && as_integer(node)) return "the number " + node.value;
  return "the string '" + shortened(node.value) + "'";
}

void wrong_type(const YamlNode& node, std::string_view what, std::string_view expected, Diagnostics& diag,
                std::string hint) {
  diag.error(node, std::string(what) + " must be " + std::string(expected) + ", got " + describe(node),
             std::move(hint));
}

std::optional<std::string> read_string(const YamlNode& node, std::string_view what, Diagnostics& diag) {
  if (node.kind != YamlNode::Kind::Scalar) {
    wrong_type(node, what, "a string", diag);
    return std::nullopt;
  }
  return node.value;
}

std::optional<std::vector<ScalarItem>> read_string_list(const YamlNode& node, std::string_view what,
                                                         Diagnostics& diag, std::string_view noun) {
  if (node.kind != YamlNode::Kind::Sequence) {
    std::string hint;
    if (node.kind == YamlNode::Kind::Scalar)
      hint = "write a YAML list: " + std::string(what) + ": [" + shortened(node.value) + "]";
    wrong_type(node, what, "a list of " + std::string(noun) + "s", diag, hint);
    return std::nullopt;
  }
  std::vector<ScalarItem> out;
  bool ok = true;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const YamlNode& item = *node.items[i];
    if (item.kind != YamlNode::Kind::Scalar) {
      wrong_type(item, std::string(what) + "[" + std::to_string(i) + "]", "a " + std::string(noun), diag);
      ok = false;
      continue;
    }
    out.push_back(ScalarItem{item.value, &item});
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<KeyValueItem>> read_string_map(const YamlNode& node, std::string_view what,
                                                          Diagnostics& diag) {
  if (node.kind != YamlNode::Kind::Mapping) {
    wrong_type(node, what, "a mapping of names to strings", diag);
    return std::nullopt;
  }
  std::vector<KeyValueItem> out;
  SeenKeys seen;
  bool ok = true;
  for (const auto& [key, value] : node.entries) {
    std::string name = std::string(what) + "." + shortened(key->value);
    if (is_merge_key(*key, " in " + std::string(what), diag) ||
        repeated_key(*key, seen, " in " + std::string(what), diag)) {
      ok = false;
      continue;
    }
    if (value->kind == YamlNode::Kind::Null) {
      diag.error(*key, name + " has no value", "write " + shortened(key->value) + ": \"\" for an empty string");
      ok = false;
      continue;
    }
    if (value->kind != YamlNode::Kind::Scalar) {
      wrong_type(*value, name, "a string", diag);
      ok = false;
      continue;
    }
    out.push_back(KeyValueItem{ScalarItem{key->value, key.get()}, ScalarItem{value->value, value.get()}});
  }
  if (!ok) return std::nullopt;
  return out;
}

std::map<std::string, std::string> read_named_strings(const YamlNode& node, std::string_view what,
                                                      std::string_view forbidden, const std::string& rule,
                                                      Diagnostics& diag) {
  std::map<std::string, std::string> out;
  auto items = read_string_map(node, what, diag);
  for (const auto& [key, value] : items.value_or(std::vector<KeyValueItem>{})) {
    if (key.value.empty() || key.value.find_first_of(forbidden) != std::string::npos)
      diag.error(*key.node, rule);
    else
      out[key.value] = value.value;
  }
  return out;
}

}  // namespace slimbuild::manifest
