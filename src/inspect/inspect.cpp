// Building the inspect report. Everything comes from the layout's own blobs
// (digest-checked by LayoutReader and image_files); library attribution
// unpacks what tracing needs into a private directory, relative to its
// descriptor (see Unpacker), and traces the entrypoint there as its own
// sysroot. Names from the image are printed escaped (util::printable).
#include <slimbuild/inspect/inspect.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/inspect/image_files.hpp>
#include <slimbuild/trace/elf_reader.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/limits.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/text.hpp>

namespace slimbuild::inspect {

namespace {

using nlohmann::json;

// Unpacks what tracing the entrypoint needs — directories, symlinks, ELF
// files and the loader's ld.so.conf files; other files as empty names — and
// nothing else, so a layer
// holding a 1 GiB file of zeros costs no disk. Every name is created relative
// to the private root's directory descriptor, one component at a time with
// O_NOFOLLOW: nothing is ever resolved through a symlink (the image's or the
// host's, such as a $TMPDIR reached through one), and nothing outside the
// root is created, unlinked or written. Bytes written are capped (util::Limit).
class Unpacker {
 public:
  explicit Unpacker(const fs::path& root) : root_(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (!root_) throw Error("cannot open " + root.string() + ": " + std::strerror(errno));
  }

  void layer(int blob_fd, const std::string& digest) {
    util::CHandle<archive, archive_read_free> in(archive_read_new());
    archive_read_support_format_tar(in.get());
    archive_read_support_format_gnutar(in.get());
    archive_read_support_filter_all(in.get());
    if (archive_read_open_fd(in.get(), blob_fd, 1 << 16) != ARCHIVE_OK)
      throw Error("cannot read layer " + digest + ": " + archive_error_string(in.get()));
    archive_entry* e;
    while (archive_read_next_header(in.get(), &e) == ARCHIVE_OK) {
      std::vector<std::string> parts = components(archive_entry_pathname(e));
      if (parts.empty()) continue;
      util::Fd dir = parent(parts, archive_entry_filetype(e) == AE_IFDIR);
      if (!dir) continue;  // below a symlink or a non-directory: not ours to follow
      const std::string& name = parts.back();
      auto type = archive_entry_filetype(e);
      if (const char* h = archive_entry_hardlink(e)) {
        hardlink(components(h), dir.get(), name);
      } else if (type == AE_IFDIR) {
        continue;  // made by parent()
      } else if (type == AE_IFLNK && archive_entry_symlink(e)) {
        ::unlinkat(dir.get(), name.c_str(), 0);
        ::symlinkat(archive_entry_symlink(e), dir.get(), name.c_str());
      } else if (type == AE_IFREG) {
        file(in.get(), dir.get(), name, parts);
      }
    }
  }

 private:
  static std::vector<std::string> components(const char* raw) {
    std::vector<std::string> out;
    std::string_view p = raw ? raw : "";
    for (std::size_t i = 0; i <= p.size();) {
      std::size_t j = p.find('/', i);
      if (j == std::string_view::npos) j = p.size();
      std::string_view c = p.substr(i, j - i);
      i = j + 1;
      if (c.empty() || c == ".") continue;
      if (c == "..") return {};
      out.emplace_back(c);
    }
    return out;
  }

  // The directory holding parts.back() (and parts.back() itself when it is
  // a directory entry), created 0700 as needed; invalid Fd when a component
  // is not a real directory.
  util::Fd parent(const std::vector<std::string>& parts, bool is_dir) {
    util::Fd dir(::dup(root_.get()));
    std::size_t n = is_dir ? parts.size() : parts.size() - 1;
    for (std::size_t i = 0; i < n; ++i) {
      ::mkdirat(dir.get(), parts[i].c_str(), 0700);
      int next = ::openat(dir.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0) return util::Fd();
      dir.reset(next);
    }
    return dir;
  }

  void hardlink(const std::vector<std::string>& target, int dir, const std::string& name) {
    if (target.empty()) return;
    util::Fd from = parent(target, false);
    if (!from) return;
    ::unlinkat(dir, name.c_str(), 0);
    ::linkat(from.get(), target.back().c_str(), dir, name.c_str(), 0);  // never follows a final link
  }

  void file(archive* in, int dir, const std::string& name, const std::vector<std::string>& parts) {
    std::vector<char> buf(1 << 16);
    la_ssize_t n = archive_read_data(in, buf.data(), buf.size());
    bool elf = n >= 4 && std::memcmp(buf.data(), "\x7f" "ELF", 4) == 0;
    bool loader_conf = parts.size() >= 2 && parts[0] == "etc" && (parts[1] == "ld.so.conf" || parts[1] == "ld.so.conf.d");
    ::unlinkat(dir, name.c_str(), 0);
    util::Fd out(::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    // Any other file is left empty: its name still resolves (an entrypoint
    // that is a script is "not an ELF file"), and libarchive skips its data.
    if (!out || n <= 0 || (!elf && !loader_conf)) return;
    uint64_t size = 0;
    for (; n > 0; n = archive_read_data(in, buf.data(), buf.size())) {
      size += static_cast<uint64_t>(n);
      total_ += static_cast<uint64_t>(n);
      if (size > util::limit(util::Limit::MemberBytes))
        util::limit_exceeded(util::Limit::MemberBytes, "unpacking " + util::printable(name) + " for tracing");
      if (total_ > util::limit(util::Limit::ExtractBytes))
        util::limit_exceeded(util::Limit::ExtractBytes, "unpacking the image for tracing");
      if (::write(out.get(), buf.data(), static_cast<size_t>(n)) != n)
        throw Error("cannot unpack " + util::printable(name) + " for tracing: " + std::strerror(errno));
    }
  }

  util::Fd root_;
  uint64_t total_ = 0;
};

std::string type_word(FileType t) {
  switch (t) {
    case FileType::Directory: return "dir";
    case FileType::Symlink: return "symlink";
    case FileType::HardLink: return "hardlink";
    case FileType::File: return "file";
    default: return "special";
  }
}

json libraries(const image::LayoutReader& layout, const json& manifest, const json& entry, std::string& note) {
  json out = json::array();
  if (!entry.is_string() || entry.get<std::string>().empty() || entry.get<std::string>()[0] != '/') {
    note = "no absolute entrypoint to trace";
    return out;
  }
  util::TempDir root("slimbuild-inspect");
  Unpacker unpack(root.path());
  for (const auto& l : manifest["layers"]) {
    auto d = image::Descriptor::from_json(l);
    unpack.layer(layout.open_blob(d).get(), d.digest);
  }
  try {
    auto resolved = trace::resolve_in_sysroot(root.path(), entry.get<std::string>());
    if (!trace::has_elf_magic(resolved.host_path)) {
      note = entry.get<std::string>() + " is not an ELF file";
      return out;
    }
    trace::TraceOptions options;
    options.sysroot = root.path();
    auto traced = trace::trace_binary(resolved.host_path, options);
    auto add = [&](const trace::TracedObject& o) {
      std::string real = "/" + fs::path(o.host_path).lexically_relative(root.path()).generic_string();
      json lib{{"path", o.image_path}, {"needed_by", o.needed_by}, {"soname", o.elf.soname}};
      if (real != o.image_path && real.find("..") == std::string::npos) lib["file"] = real;
      out.push_back(lib);
    };
    if (traced.interpreter) add(*traced.interpreter);
    for (const auto& l : traced.libraries) add(l);
    if (traced.binary.elf.is_static()) note = entry.get<std::string>() + " is statically linked";
  } catch (const Error& e) {
    note = std::string("could not trace ") + entry.get<std::string>() + ": " + e.what();
  }
  return out;
}

json referrers(const image::LayoutReader& layout, const std::string& subject) {
  json out = json::array();
  for (const auto& d : layout.referrers(subject)) {
    json r{{"digest", d.digest}, {"size", d.size}, {"artifactType", d.artifact_type.value_or("")}};
    json m = layout.read_json_blob(d);
    if (m.contains("layers") && m["layers"].is_array() && !m["layers"].empty() && m["layers"][0].is_object())
      r["content"] = m["layers"][0].value("mediaType", "");
    out.push_back(r);
  }
  return out;
}

json image_report(const image::LayoutReader& layout, const image::Descriptor& desc, const OpenedImage& img,
                  const InspectOptions& options) {
  json manifest = layout.read_json_blob(desc);
  image::Descriptor config_desc;
  try {
    config_desc = image::Descriptor::from_json(manifest.at("config"));
  } catch (const json::exception& e) {
    throw Error("image manifest " + desc.digest + " is malformed: " + e.what());
  }
  json config = layout.read_json_blob(config_desc);
  json run = config.value("config", json::object());
  if (!run.is_object()) run = json::object();

  json report{{"image", img.spec}, {"source", to_string(img.kind)}, {"digest", desc.digest}};
  report["platform"] = {{"os", config.value("os", "")}, {"architecture", config.value("architecture", "")}};
  if (config.contains("variant")) report["platform"]["variant"] = config["variant"];
  report["created"] = config.value("created", "");
  for (const auto& [key, field] : std::vector<std::pair<const char*, const char*>>{
           {"user", "User"}, {"entrypoint", "Entrypoint"}, {"cmd", "Cmd"}, {"env", "Env"}, {"workdir", "WorkingDir"}, {"labels", "Labels"}})
    report[key] = run.value(field, json());
  json ports = json::array();
  if (run.contains("ExposedPorts") && run["ExposedPorts"].is_object())
    for (auto it = run["ExposedPorts"].begin(); it != run["ExposedPorts"].end(); ++it) ports.push_back(it.key());
  report["ports"] = ports;
  report["annotations"] = manifest.value("annotations", json::object());
  report["config"] = {{"digest", config_desc.digest}, {"size", config_desc.size}};

  uint64_t compressed = desc.size + config_desc.size;
  json layers = json::array();
  json diff_ids = config.contains("rootfs") ? config["rootfs"].value("diff_ids", json::array()) : json::array();
  for (std::size_t i = 0; i < manifest.value("layers", json::array()).size(); ++i) {
    auto l = image::Descriptor::from_json(manifest["layers"][i]);
    compressed += l.size;
    layers.push_back({{"digest", l.digest}, {"size", l.size}, {"mediaType", l.media_type},
                      {"diff_id", i < diff_ids.size() ? diff_ids[i] : json()}});
  }
  report["layers"] = layers;

  ImageFiles files = read_image_files(layout, manifest);
  uint64_t content = 0;
  json file_list = json::array();
  for (const auto& [path, f] : files) {
    content += f.size;
    json j{{"path", path}, {"type", type_word(f.type)}, {"mode", mode_string(f.mode)}, {"uid", f.uid}, {"gid", f.gid}, {"size", f.size}};
    if (!f.link.empty()) j["link"] = f.link;
    file_list.push_back(j);
  }
  report["size"] = {{"compressed", compressed}, {"files", content}};
  report["files"] = file_list;
  report["referrers"] = referrers(layout, desc.digest);

  if (options.trace_libraries) {
    json entry = run.contains("Entrypoint") && run["Entrypoint"].is_array() && !run["Entrypoint"].empty()
                     ? run["Entrypoint"][0]
                     : (run.contains("Cmd") && run["Cmd"].is_array() && !run["Cmd"].empty() ? run["Cmd"][0] : json());
    std::string note;
    report["libraries"] = libraries(layout, manifest, entry, note);
    if (!note.empty()) report["libraries_note"] = note;
  }
  return report;
}

// An image index: its own digest and annotations, then one full report per
// platform image, in the index's order.
json inspect_unchecked(const OpenedImage& img, const InspectOptions& options) {
  image::LayoutReader layout(img.layout);
  image::Descriptor top = layout.find_entry(img.ref.empty() ? std::nullopt : std::optional<std::string>(img.ref));
  if (top.media_type != image::kMediaTypeIndex) return image_report(layout, top, img, options);
  json index = layout.read_json_blob(top);
  json report{{"image", img.spec}, {"source", to_string(img.kind)}, {"digest", top.digest},
              {"mediaType", image::kMediaTypeIndex}, {"annotations", index.value("annotations", json::object())}};
  report["platforms"] = json::array();
  for (const auto& d : layout.platform_images(top)) report["platforms"].push_back(image_report(layout, d, img, options));
  return report;
}

}  // namespace

json inspect_image(const OpenedImage& img, const InspectOptions& options) {
  try {
    return inspect_unchecked(img, options);
  } catch (const json::exception& e) {
    // A field of the wrong type in someone else's image is bad input, not a bug.
    throw Error("cannot inspect " + img.spec + ": its manifest or config is malformed (" + e.what() + ")");
  }
}

std::string inspect_text(const json& r) {
  if (r.contains("platforms")) {
    std::ostringstream s;
    s << "image index " << r.value("digest", "") << " (" << r["platforms"].size() << " platforms)\n";
    for (const auto& p : r["platforms"])
      s << "\n== " << image::platform_name(p.value("platform", json())) << " ==\n" << inspect_text(p);
    return s.str();
  }
  std::ostringstream s;
  auto line = [&](const std::string& key, const std::string& value) {
    if (!value.empty()) s << key << std::string(key.size() < 12 ? 12 - key.size() : 1, ' ') << util::printable(value) << "\n";
  };
  auto show = [](const json& j) -> std::string {
    if (j.is_null()) return "";
    if (j.is_string()) return j.get<std::string>();
    return j.dump();
  };
  line("image", show(r["image"]) + " (" + show(r["source"]) + ")");
  std::string platform = show(r["platform"]["os"]) + "/" + show(r["platform"]["architecture"]);
  if (r["platform"].contains("variant")) platform += "/" + show(r["platform"]["variant"]);
  line("platform", platform);
  line("created", show(r["created"]));
  line("user", show(r["user"]));
  line("entrypoint", show(r["entrypoint"]));
  line("cmd", show(r["cmd"]));
  if (r["env"].is_array())
    for (const auto& e : r["env"]) line("env", show(e));
  line("workdir", show(r["workdir"]));
  if (!r["ports"].empty()) line("ports", show(r["ports"]));
  if (r["labels"].is_object())
    for (auto it = r["labels"].begin(); it != r["labels"].end(); ++it) line("label", it.key() + "=" + show(it.value()));
  for (auto it = r["annotations"].begin(); it != r["annotations"].end(); ++it) line("annotation", it.key() + "=" + show(it.value()));
  line("config", show(r["config"]["digest"]) + " (" + show(r["config"]["size"]) + " bytes)");
  for (const auto& l : r["layers"]) {
    line("layer", show(l["digest"]) + " (" + show(l["size"]) + " bytes, " + show(l["mediaType"]) + ")");
    line("  diff_id", show(l["diff_id"]));
  }
  line("size", show(r["size"]["compressed"]) + " bytes compressed, " + show(r["size"]["files"]) + " bytes of files");
  for (const auto& ref : r["referrers"])
    line("referrer", show(ref["digest"]) + " " + show(ref["artifactType"]) + (show(ref["artifactType"]) == "application/spdx+json" ? " (SBOM)" : ""));

  s << "\nfiles (" << r["files"].size() << "):\n";
  for (const auto& f : r["files"]) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "  %-8s %s %5s:%-5s %10s  ", f["type"].get<std::string>().c_str(), f["mode"].get<std::string>().c_str(),
                  std::to_string(f["uid"].get<uint32_t>()).c_str(), std::to_string(f["gid"].get<uint32_t>()).c_str(),
                  std::to_string(f["size"].get<uint64_t>()).c_str());
    // Names from the image: ESC, CR and LF must not reach the terminal raw.
    s << buf << util::printable(f["path"].get<std::string>());
    if (f.contains("link")) s << " -> " << util::printable(f["link"].get<std::string>());
    s << "\n";
  }
  if (r.contains("libraries")) {
    s << "\nlibraries (" << r["libraries"].size() << "):\n";
    for (const auto& l : r["libraries"]) {
      s << "  " << util::printable(l["path"].get<std::string>());
      if (l.contains("file")) s << " (" << util::printable(l["file"].get<std::string>()) << ")";
      std::string by;
      for (const auto& n : l["needed_by"]) by += (by.empty() ? "" : ", ") + n.get<std::string>();
      s << (by.empty() ? "  (program interpreter)" : "  needed by " + by) << "\n";
    }
    if (r.contains("libraries_note")) s << "  note: " << r["libraries_note"].get<std::string>() << "\n";
  }
  s << "\n" << show(r["digest"]) << "\n";
  return s.str();
}

}  // namespace slimbuild::inspect
