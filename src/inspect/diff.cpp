// Explaining a digest mismatch in terms a person can act on. Equal manifest
// digests end the comparison at once; otherwise we walk from the top down:
// manifest (media types, layer count, compression), annotations, the config
// document field by field ("config.Env", "created"), and finally the file
// systems the layers produce, entry by entry. The file walk only happens when
// the layer diff_ids differ, and it streams (see image_files.hpp).
#include <slimbuild/inspect/diff.hpp>

#include <map>
#include <set>
#include <sstream>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/inspect/image_files.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/text.hpp>

namespace slimbuild::inspect {

namespace {

struct Side {
  image::LayoutReader layout;
  image::Descriptor descriptor;
  nlohmann::json manifest;
  nlohmann::json config;
  std::vector<image::Descriptor> layers;

  Side(const fs::path& dir, const image::Descriptor& image) : layout(dir), descriptor(image) {
    manifest = layout.read_json_blob(descriptor);
    try {
      config = layout.read_json_blob(image::Descriptor::from_json(manifest.at("config")));
      for (const auto& l : manifest.at("layers")) layers.push_back(image::Descriptor::from_json(l));
    } catch (const nlohmann::json::exception& e) {
      throw Error("image manifest " + descriptor.digest + " in " + dir.string() + " is malformed: " + e.what());
    }
  }
  nlohmann::json diff_ids() const {
    auto it = config.find("rootfs");
    return it != config.end() && it->is_object() ? it->value("diff_ids", nlohmann::json::array()) : nlohmann::json();
  }
};

std::string show(const nlohmann::json& j) {
  if (j.is_null()) return "";
  return j.is_string() ? j.get<std::string>() : j.dump();
}

// Field-by-field over objects; arrays and scalars compare whole.
void diff_json(DifferenceKind kind, const std::string& path, const nlohmann::json& a, const nlohmann::json& b,
               std::vector<Difference>& out) {
  if (a == b) return;
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
    for (const auto& k : keys) {
      static const nlohmann::json null;
      diff_json(kind, path.empty() ? k : path + "." + k, a.contains(k) ? a[k] : null, b.contains(k) ? b[k] : null, out);
    }
    return;
  }
  // Env is a list of KEY=value: one difference per variable that changed
  // ("config.Env.LOG_LEVEL: info -> debug"), never the joined list, whose
  // values may themselves contain spaces.
  if (path == "config.Env" && a.is_array() && b.is_array()) {
    auto vars = [](const nlohmann::json& list) {
      std::map<std::string, std::string> m;
      for (const auto& v : list) {
        std::string kv = v.is_string() ? v.get<std::string>() : v.dump();
        size_t eq = kv.find('=');
        m[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
      }
      return m;
    };
    auto va = vars(a), vb = vars(b);
    std::set<std::string> names;
    for (const auto& [k, v] : va) names.insert(k);
    for (const auto& [k, v] : vb) names.insert(k);
    for (const auto& k : names) {
      auto ia = va.find(k), ib = vb.find(k);
      if (ia != va.end() && ib != vb.end() && ia->second == ib->second) continue;
      out.push_back({kind, path + "." + k, ia == va.end() ? "" : ia->second, ib == vb.end() ? "" : ib->second});
    }
    return;
  }
  out.push_back({kind, path, show(a), show(b)});
}

std::string owner(const ImageFile& f) { return std::to_string(f.uid) + ":" + std::to_string(f.gid); }
std::string type_name(FileType t) {
  switch (t) {
    case FileType::Directory: return "directory";
    case FileType::Symlink: return "symlink";
    case FileType::HardLink: return "hard link";
    case FileType::CharDevice: return "character device";
    case FileType::BlockDevice: return "block device";
    case FileType::Fifo: return "fifo";
    case FileType::File: return "file";
  }
  return "file";
}
std::string describe(const ImageFile& f) {
  std::string s = type_name(f.type) + " " + mode_string(f.mode) + " " + owner(f);
  if (f.type == FileType::File) s += ", " + std::to_string(f.size) + " bytes";
  if (!f.link.empty()) s += " -> " + f.link;
  return s;
}

void diff_files(const ImageFiles& a, const ImageFiles& b, std::vector<Difference>& out) {
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      out.push_back({DifferenceKind::Removed, ia->first, describe(ia->second), ""});
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      out.push_back({DifferenceKind::Added, ib->first, "", describe(ib->second)});
      ++ib;
    } else {
      const ImageFile& x = ia->second;
      const ImageFile& y = ib->second;
      const std::string& p = ia->first;
      if (x.type != y.type) {
        out.push_back({DifferenceKind::Type, p, describe(x), describe(y)});
      } else {
        if (x.sha256 != y.sha256 || x.size != y.size)
          out.push_back({DifferenceKind::Content, p, "sha256:" + x.sha256 + " (" + std::to_string(x.size) + " bytes)",
                         "sha256:" + y.sha256 + " (" + std::to_string(y.size) + " bytes)"});
        if (x.mode != y.mode) out.push_back({DifferenceKind::Mode, p, mode_string(x.mode), mode_string(y.mode)});
        if (x.uid != y.uid || x.gid != y.gid) out.push_back({DifferenceKind::Owner, p, owner(x), owner(y)});
        if (x.link != y.link) out.push_back({DifferenceKind::Link, p, x.link, y.link});
        if (x.mtime != y.mtime) out.push_back({DifferenceKind::Mtime, p, std::to_string(x.mtime), std::to_string(y.mtime)});
      }
      ++ia, ++ib;
    }
  }
}

void diff_manifests(const Side& a, const Side& b, std::vector<Difference>& out) {
  diff_json(DifferenceKind::Annotation, "annotations", a.manifest.value("annotations", nlohmann::json::object()),
            b.manifest.value("annotations", nlohmann::json::object()), out);
  if (a.descriptor.media_type != b.descriptor.media_type)
    out.push_back({DifferenceKind::Manifest, "mediaType", a.descriptor.media_type, b.descriptor.media_type});
  if (a.layers.size() != b.layers.size())
    out.push_back({DifferenceKind::Manifest, "layers", std::to_string(a.layers.size()) + " layers",
                   std::to_string(b.layers.size()) + " layers"});
  for (std::size_t i = 0; i < std::min(a.layers.size(), b.layers.size()); ++i) {
    const std::string at = "layers[" + std::to_string(i) + "]";
    if (a.layers[i].media_type != b.layers[i].media_type)
      out.push_back({DifferenceKind::Manifest, at + ".mediaType", a.layers[i].media_type, b.layers[i].media_type});
    // Same uncompressed tar, different blob: only the compression differs.
    bool same_tar = a.diff_ids().is_array() && a.diff_ids() == b.diff_ids();
    if (a.layers[i].digest != b.layers[i].digest && same_tar)
      out.push_back({DifferenceKind::Manifest, at + ".digest (same content, compressed differently)", a.layers[i].digest,
                     b.layers[i].digest});
  }
}

}  // namespace

ImageComparison compare_layouts(const fs::path& a, const std::string& ref_a, const fs::path& b,
                                const std::string& ref_b) {
  return compare_layouts(a, ref_a, b, ref_b, CompareOptions{});
}

// One image against another; differences are appended (with `platform`).
static bool compare_images(const Side& sa, const Side& sb, const CompareOptions& options, const std::string& platform,
                           std::vector<Difference>& out) {
  auto layer_digests = [](const Side& s) {
    std::vector<std::string> d;
    for (const auto& l : s.layers) d.push_back(l.digest);
    return d;
  };
  bool same_config = sa.manifest.value("config", nlohmann::json()).value("digest", "") ==
                     sb.manifest.value("config", nlohmann::json()).value("digest", "");
  bool same_content = same_config && layer_digests(sa) == layer_digests(sb);
  if (options.content_only ? same_content : sa.descriptor.digest == sb.descriptor.digest) return true;

  std::vector<Difference> found;
  if (!options.content_only) diff_manifests(sa, sb, found);
  diff_json(DifferenceKind::Config, "", sa.config, sb.config, found);
  if (sa.diff_ids() != sb.diff_ids() || !sa.diff_ids().is_array()) {
    ImageFiles fa = read_image_files(sa.layout, sa.manifest);
    ImageFiles fb = read_image_files(sb.layout, sb.manifest);
    diff_files(fa, fb, found);
  }
  if (found.empty())
    found.push_back({DifferenceKind::Manifest, "manifest", sa.descriptor.digest,
                     sb.descriptor.digest + " (same config and layers, manifest bytes differ)"});
  for (auto& d : found) {
    d.platform = platform;
    out.push_back(std::move(d));
  }
  return false;
}

// "linux/arm64/v8" of an image: its index entry's platform, else its config's.
static std::string image_platform(const Side& s) {
  if (s.descriptor.platform.is_object()) return image::platform_name(s.descriptor.platform);
  nlohmann::json p{{"os", s.config.value("os", "")}, {"architecture", s.config.value("architecture", "")}};
  if (s.config.contains("variant")) p["variant"] = s.config["variant"];
  return image::platform_name(p);
}

static ImageComparison compare_unchecked(const fs::path& a, const std::string& ref_a, const fs::path& b,
                                         const std::string& ref_b, const CompareOptions& options) {
  auto top = [](const fs::path& dir, const std::string& ref) {
    return image::LayoutReader(dir).find_entry(ref.empty() ? std::nullopt : std::optional<std::string>(ref));
  };
  image::Descriptor ta = top(a, ref_a), tb = top(b, ref_b);
  ImageComparison cmp;
  cmp.digest_a = ta.digest;
  cmp.digest_b = tb.digest;
  bool index_a = ta.media_type == image::kMediaTypeIndex, index_b = tb.media_type == image::kMediaTypeIndex;
  if (!index_a && !index_b) {
    cmp.identical = compare_images(Side(a, ta), Side(b, tb), options, "", cmp.differences);
    return cmp;
  }
  cmp.identical = !options.content_only && cmp.digest_a == cmp.digest_b;
  if (cmp.identical) return cmp;

  // An index on either side: the images are paired by platform, and each
  // difference names the platform it is in.
  if (index_a != index_b)
    cmp.differences.push_back({DifferenceKind::Manifest, "mediaType", ta.media_type, tb.media_type});
  image::LayoutReader la(a), lb(b);
  if (index_a && index_b && !options.content_only)
    diff_json(DifferenceKind::Annotation, "index.annotations", la.read_json_blob(ta).value("annotations", nlohmann::json::object()),
              lb.read_json_blob(tb).value("annotations", nlohmann::json::object()), cmp.differences);
  std::map<std::string, std::pair<std::optional<Side>, std::optional<Side>>> by_platform;
  std::vector<std::string> order;
  auto add = [&](const fs::path& dir, const image::LayoutReader& layout, const image::Descriptor& t, bool first) {
    for (const auto& d : layout.platform_images(t)) {
      Side side(dir, d);
      std::string name = image_platform(side);
      if (!by_platform.count(name)) order.push_back(name);
      (first ? by_platform[name].first : by_platform[name].second).emplace(std::move(side));
    }
  };
  add(a, la, ta, true);
  add(b, lb, tb, false);
  bool all_same = true;
  for (const auto& name : order) {
    auto& [sa, sb] = by_platform[name];
    if (!sa || !sb) {
      all_same = false;
      cmp.differences.push_back({DifferenceKind::Platform, name, sa ? "image " + sa->descriptor.digest : "",
                                 sb ? "image " + sb->descriptor.digest : "", ""});
      continue;
    }
    all_same = compare_images(*sa, *sb, options, name, cmp.differences) && all_same;
  }
  if (options.content_only) cmp.identical = all_same && index_a == index_b;
  if (!cmp.identical && cmp.differences.empty())
    cmp.differences.push_back({DifferenceKind::Manifest, "index", cmp.digest_a, cmp.digest_b + " (same images, index bytes differ)"});
  return cmp;
}

ImageComparison compare_layouts(const fs::path& a, const std::string& ref_a, const fs::path& b,
                                const std::string& ref_b, const CompareOptions& options) {
  try {
    return compare_unchecked(a, ref_a, b, ref_b, options);
  } catch (const nlohmann::json::exception& e) {
    // A field of the wrong type in someone else's image is bad input, not a bug.
    throw Error("cannot compare " + a.string() + " and " + b.string() + ": a manifest or config is malformed (" +
                e.what() + ")");
  }
}

std::string_view to_string(DifferenceKind kind) {
  switch (kind) {
    case DifferenceKind::Added: return "added";
    case DifferenceKind::Removed: return "removed";
    case DifferenceKind::Content: return "content";
    case DifferenceKind::Mode: return "mode";
    case DifferenceKind::Owner: return "owner";
    case DifferenceKind::Link: return "link";
    case DifferenceKind::Type: return "type";
    case DifferenceKind::Mtime: return "mtime";
    case DifferenceKind::Config: return "config";
    case DifferenceKind::Annotation: return "annotation";
    case DifferenceKind::Manifest: return "manifest";
    case DifferenceKind::Platform: return "platform";
  }
  return "content";
}

nlohmann::json ImageComparison::to_json() const {
  nlohmann::json diffs = nlohmann::json::array();
  for (const auto& d : differences)
  {
    nlohmann::json j{{"kind", std::string(to_string(d.kind))}, {"path", d.path}, {"before", d.before}, {"after", d.after}};
    if (!d.platform.empty()) j["platform"] = d.platform;
    diffs.push_back(std::move(j));
  }
  return {{"identical", identical}, {"a", digest_a}, {"b", digest_b}, {"differences", diffs}};
}

std::optional<std::string> ImageComparison::only_timestamps_differ() const {
  if (identical) return std::nullopt;
  std::optional<std::string> epoch;
  for (const auto& d : differences) {
    if (d.kind == DifferenceKind::Mtime) {
      if (!epoch) epoch = d.before;
    } else if (d.path.find("created") == std::string::npos && d.path != "history" && d.path != "rootfs.diff_ids") {
      return std::nullopt;  // history holds the created time; the tar bytes hold the mtimes
    }
  }
  return epoch;
}

std::string ImageComparison::to_text() const {
  std::ostringstream s;
  if (identical) {
    s << "images are identical: " << digest_a << "\n";
    return s.str();
  }
  s << "images differ:\n  A " << digest_a << "\n  B " << digest_b << "\n";
  for (const auto& d : differences) {
    std::string_view kind = to_string(d.kind);
    s << "  " << kind << std::string(kind.size() < 10 ? 10 - kind.size() : 1, ' ')
      << (d.platform.empty() ? "" : d.platform + ": ") << util::printable(d.path);
    if (d.kind == DifferenceKind::Platform)
      s << (d.before.empty() ? "  only in B (" + d.after + ")" : "  only in A (" + d.before + ")");
    else if (d.kind == DifferenceKind::Added)
      s << "  (" << util::printable(d.after) << ")";
    else if (d.kind == DifferenceKind::Removed)
      s << "  (was " << util::printable(d.before) << ")";
    else
      s << ": " << (d.before.empty() ? "(unset)" : util::printable(d.before)) << " -> "
        << (d.after.empty() ? "(unset)" : util::printable(d.after));
    s << "\n";
  }
  s << differences.size() << (differences.size() == 1 ? " difference" : " differences") << "\n";
  return s.str();
}

}  // namespace slimbuild::inspect
