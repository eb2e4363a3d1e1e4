// The manifest's YAML as a small, immutable tree that remembers where every
// node came from. yaml-cpp's own Node loses what we need for good errors: it
// keeps only one of two duplicate keys, cannot tell "0640" from 0640, and
// follows a self-referencing alias forever. So we drive yaml-cpp's event
// parser ourselves and build this tree, refusing on the way everything a
// manifest never needs: several documents, alias cycles, alias "bombs" that
// expand a small file into gigabytes, binary or non-UTF-8 text, NUL bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <slimbuild/manifest/manifest.hpp>

namespace slimbuild::manifest {

struct YamlNode;
using NodePtr = std::shared_ptr<const YamlNode>;

struct YamlNode {
  enum class Kind { Null, Scalar, Sequence, Mapping };
  Kind kind = Kind::Null;
  int line = 1;    // 1-based
  int column = 1;  // 1-based
  std::string value;   // scalars: the text as written (quotes and escapes resolved)
  bool plain = false;  // an unquoted, untagged scalar: may stand for a number or a boolean
  std::vector<NodePtr> items;                       // sequences
  std::vector<std::pair<NodePtr, NodePtr>> entries;  // mappings, in file order, duplicates kept
  std::uint64_t expanded_size = 0;                  // size with every alias expanded
};

// Largest manifest we read; a real one is a few hundred bytes.
inline constexpr std::size_t kMaxManifestBytes = 1 << 20;

// Parses exactly one YAML document into a tree. Throws ManifestError
// ("<file>:<line>:<col>: ...") for syntax errors and refused input; `file` is
// the name used in those locations.
NodePtr parse_yaml(std::string_view text, const std::string& file);

}  // namespace slimbuild::manifest
