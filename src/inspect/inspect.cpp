// Building the inspect report. Everything comes from the layout's own blobs
// (digest-checked by LayoutReader and image_files); library attribution
// unpacks the layers into a private directory with libarchive's secure
// extraction flags (no "..", no writing through symlinks; names are
// re-rooted under the private directory) and traces the entrypoint there as its own sysroot.
#include <slimbuild/inspect/inspect.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <sstream>

#include <slimbuild/image/layout.hpp>
#include "inspect/image_files.hpp"
#include <slimbuild/trace/elf_reader.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::inspect {

namespace {

using nlohmann::json;

void extract_layer(const fs::path& blob, const fs::path& root) {
  util::CHandle<archive, archive_read_free> in(archive_read_new());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  archive_read_support_filter_all(in.get());
  util::CHandle<archive, archive_write_free> out(archive_write_disk_new());
  // Names are made absolute below (root + name, leading '/' stripped), so
  // the "no absolute paths" guard is ours; libarchive guards ".." and links.
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                ARCHIVE_EXTRACT_UNLINK);
  if (archive_read_open_filename(in.get(), blob.c_str(), 1 << 16) != ARCHIVE_OK)
    throw Error("cannot read layer " + blob.string() + ": " + archive_error_string(in.get()));
  archive_entry* e;
  std::vector<char> buf(1 << 16);
  while (archive_read_next_header(in.get(), &e) == ARCHIVE_OK) {
    auto type = archive_entry_filetype(e);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) continue;
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    while (name.rfind("./", 0) == 0 || name.rfind('/', 0) == 0) name.erase(0, name[0] == '.' ? 2 : 1);
    if (name.empty()) continue;
    archive_entry_set_pathname(e, (root / name).c_str());
    if (const char* h = archive_entry_hardlink(e)) {
      std::string target = h;
      while (!target.empty() && target[0] == '/') target.erase(0, 1);
      archive_entry_set_hardlink(e, (root / target).c_str());
    }
    // We must be able to read it back (and walk directories) whatever its mode.
    archive_entry_set_perm(e, (archive_entry_perm(e) & 0777) | (type == AE_IFDIR ? 0700 : 0600));
    if (archive_write_header(out.get(), e) != ARCHIVE_OK) {
      util::debug(std::string("inspect: not unpacked: ") + name + ": " + archive_error_string(out.get()));
      continue;
    }
    la_ssize_t n;
    while ((n = archive_read_data(in.get(), buf.data(), buf.size())) > 0)
      archive_write_data(out.get(), buf.data(), static_cast<size_t>(n));
  }
  archive_write_close(out.get());
}

std::string type_word(char t) {
  switch (t) {
    case 'd': return "dir";
    case 'l': return "symlink";
    case 'h': return "hardlink";
    case 'f': return "file";
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
  for (const auto& l : manifest["layers"]) extract_layer(layout.blob_path(l.at("digest").get<std::string>()), root.path());
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
  for (const auto& d : layout.manifests()) {
    if (d.digest == subject || d.media_type != image::kMediaTypeManifest || !layout.has_blob(d.digest)) continue;
    json m = layout.read_json_blob(d);
    if (!m.contains("subject") || !m["subject"].is_object() || m["subject"].value("digest", "") != subject) continue;
    json r{{"digest", d.digest}, {"size", d.size}, {"artifactType", m.value("artifactType", d.artifact_type.value_or(""))}};
    if (m.contains("layers") && m["layers"].is_array() && !m["layers"].empty())
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
    if (!value.empty()) s << key << std::string(key.size() < 12 ? 12 - key.size() : 1, ' ') << value << "\n";
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
    s << buf << f["path"].get<std::string>();
    if (f.contains("link")) s << " -> " << f["link"].get<std::string>();
    s << "\n";
  }
  if (r.contains("libraries")) {
    s << "\nlibraries (" << r["libraries"].size() << "):\n";
    for (const auto& l : r["libraries"]) {
      s << "  " << l["path"].get<std::string>();
      if (l.contains("file")) s << " (" << l["file"].get<std::string>() << ")";
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
