// Builds the YamlNode tree from yaml-cpp's parser events, after a pass over
// the raw bytes that turns "this is not a text file" into one clear error
// instead of a confusing syntax error somewhere in the middle.
#include <slimbuild/manifest/yaml_tree.hpp>

#include <sstream>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include "manifest/yaml_syntax.hpp"

#include <slimbuild/util/text.hpp>

namespace slimbuild::manifest {

namespace {

// An alias shares its anchor's subtree, so a 1 MiB file can describe an
// exponentially large document ("billion laughs"). Everything downstream
// copies strings out of the tree, so cap the expanded size instead.
constexpr std::uint64_t kMaxExpandedSize = 16u << 20;

SourceLocation at(const std::string& file, int line, int column) {
  return SourceLocation{file, line < 1 ? 1 : line, column < 1 ? 1 : column};
}

// Refuses bytes no YAML manifest contains, with their line and column.
void check_text(std::string_view text, const std::string& file) {
  if (text.size() > kMaxManifestBytes)
    throw ManifestError(at(file, 1, 1),
                        "the manifest is " + std::to_string(text.size()) + " bytes; the limit is " +
                            std::to_string(kMaxManifestBytes) + " (1 MiB)",
                        "is this really a slimbuild manifest?");
  // `slimbuild build/hello` instead of `slimbuild hello.yaml` is an easy slip.
  if (text.starts_with("\x7f" "ELF"))
    throw ManifestError(at(file, 1, 1), "this is an ELF binary, not a YAML manifest",
                        "pass the manifest; the binary belongs in its binary: key");
  int line = 1, column = 1;
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    // Strict: overlong forms, surrogates and code points above U+10FFFF are
    // refused here, with a position, not later by whatever writes JSON.
    int len = static_cast<int>(util::utf8_sequence_length(text, i));
    if (len == 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      throw ManifestError(at(file, line, column),
                          std::string("invalid UTF-8 (byte ") + hex +
                              // 0xC2..0xF4 lead a sequence that is wrong further on; the
                              // other bytes never start one.
                              (c >= 0xC2 && c <= 0xF4 ? " starts an overlong form, a surrogate, a code point above "
                                                        "U+10FFFF or a truncated sequence)"
                                                      : ")"),
                          "manifests are UTF-8 text; is this a binary file, or was it saved in another encoding?");
    }
    if (c == 0)
      throw ManifestError(at(file, line, column), "the file contains a NUL byte",
                          "manifests are YAML text; is this a binary file?");
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      throw ManifestError(at(file, line, column), std::string("control character ") + hex + " in the manifest",
                          "manifests are YAML text; is this a binary file?");
    }
    // Columns count bytes, as yaml-cpp's marks do, so both kinds of error agree.
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      column += len;
    }
    i += static_cast<std::size_t>(len);
  }
}

class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(const std::string& file) : file_(file) {}

  NodePtr root() const { return root_; }
  int documents() const { return documents_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1)
      throw ManifestError(at(file_, mark.line + 1, mark.column + 1),
                          "a second YAML document ('---'); a manifest is exactly one document",
                          "put each image in its own manifest file");
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto node = make(YamlNode::Kind::Null, mark);
    finish(node, anchor);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    auto node = make(YamlNode::Kind::Scalar, mark);
    if (value.find('\0') != std::string::npos)
      throw ManifestError(at(file_, node->line, node->column), "a string contains a NUL character (\\0)");
    if (!util::is_utf8(value))
      throw ManifestError(at(file_, node->line, node->column), "a string is not valid UTF-8 after its escapes",
                          "escape only Unicode characters (no surrogates, nothing above \\U0010FFFF)");
    node->value = value;
    node->plain = tag == "?";
    node->expanded_size = value.size() + 1;
    finish(node, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor >= anchors_.size() || !anchors_[anchor])
      throw ManifestError(at(file_, mark.line + 1, mark.column + 1),
                          "this alias refers to a node that contains it (a cycle)",
                          "an alias (*name) may only repeat a node defined completely before it");
    add_to_parent(anchors_[anchor]);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(make(YamlNode::Kind::Sequence, mark), anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(make(YamlNode::Kind::Mapping, mark), anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    std::shared_ptr<YamlNode> node;
    YAML::anchor_t anchor;
    NodePtr pending_key;  // mappings: the key waiting for its value
  };

  std::shared_ptr<YamlNode> make(YamlNode::Kind kind, const YAML::Mark& mark) {
    auto node = std::make_shared<YamlNode>();
    node->kind = kind;
    node->line = mark.line + 1;
    node->column = mark.column + 1;
    node->expanded_size = 1;
    return node;
  }

  void open(std::shared_ptr<YamlNode> node, YAML::anchor_t anchor) {
    // The anchor stays unresolved until the node is complete, so an alias
    // inside it is recognised as a cycle.
    reserve_anchor(anchor);
    stack_.push_back(Open{std::move(node), anchor, nullptr});
  }

  void close() {
    Open done = std::move(stack_.back());
    stack_.pop_back();
    if (done.pending_key)
      throw ManifestError(at(file_, done.pending_key->line, done.pending_key->column), "a key without a value");
    finish(done.node, done.anchor);
  }

  void finish(std::shared_ptr<YamlNode> node, YAML::anchor_t anchor) {
    if (anchor != 0) {
      reserve_anchor(anchor);
      anchors_[anchor] = node;
    }
    add_to_parent(node);
  }

  void reserve_anchor(YAML::anchor_t anchor) {
    if (anchor >= anchors_.size()) anchors_.resize(anchor + 1);
  }

  void add_to_parent(NodePtr node) {
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Open& parent = stack_.back();
    auto& total = parent.node->expanded_size;
    total += node->expanded_size;
    if (total > kMaxExpandedSize)
      throw ManifestError(at(file_, parent.node->line, parent.node->column),
                          "aliases expand this node to more than " + std::to_string(kMaxExpandedSize >> 20) +
                              " MiB; refusing to expand it",
                          "a manifest does not need to repeat nodes this many times");
    if (parent.node->kind == YamlNode::Kind::Sequence) {
      parent.node->items.push_back(std::move(node));
    } else if (!parent.pending_key) {
      if (node->kind != YamlNode::Kind::Scalar)
        throw ManifestError(at(file_, node->line, node->column),
                            node->kind == YamlNode::Kind::Null ? "a mapping key is empty"
                                                               : "mapping keys must be plain strings");
      parent.pending_key = std::move(node);
    } else {
      // An empty value ("key:") is reported by yaml-cpp at the next token,
      // often on the next line; the key is where the user looks.
      if (node->kind == YamlNode::Kind::Null && node.use_count() == 1) {
        auto fixed = std::make_shared<YamlNode>(*node);
        fixed->line = parent.pending_key->line;
        fixed->column = parent.pending_key->column;
        node = std::move(fixed);
      }
      parent.node->entries.emplace_back(std::move(parent.pending_key), std::move(node));
      parent.pending_key = nullptr;
    }
  }

  const std::string& file_;
  std::vector<Open> stack_;
  std::vector<NodePtr> anchors_;  // by yaml-cpp anchor id; null while the anchored node is still open
  NodePtr root_;
  int documents_ = 0;
};

}  // namespace

NodePtr parse_yaml(std::string_view text, const std::string& file) {
  check_text(text, file);
  std::istringstream in{std::string(text)};
  TreeBuilder builder(file);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const YAML::DeepRecursion& e) {
    throw ManifestError(at(file, e.mark.line + 1, e.mark.column + 1), "YAML nesting is too deep");
  } catch (const YAML::Exception& e) {
    int line = e.mark.is_null() ? 1 : e.mark.line + 1;
    auto explained = explain_syntax_error(e.msg, text, line);
    throw ManifestError(at(file, line, e.mark.is_null() ? 1 : e.mark.column + 1), explained.message, explained.hint);
  }
  if (builder.documents() == 0 || !builder.root() || builder.root()->kind == YamlNode::Kind::Null)
    throw ManifestError(at(file, 1, 1), "the manifest is empty",
                        "a manifest needs at least name:, binary: and user: (see docs/manifest.md)");
  return builder.root();
}

}  // namespace slimbuild::manifest
