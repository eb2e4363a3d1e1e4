// Unpacking an image for `check` (see unpack.hpp).
#include <slimbuild/runtrace/unpack.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "runtrace/paths.hpp"
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/interrupt.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::runtrace {

namespace {

std::vector<std::string> strings(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

using ReadArchive = util::CHandle<archive, archive_read_free>;
using WriteArchive = util::CHandle<archive, archive_write_free>;

void extract_layer(const fs::path& blob, const std::string& digest, const fs::path& root) {
  ReadArchive in(archive_read_new());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  archive_read_support_filter_all(in.get());
  if (archive_read_open_filename(in.get(), blob.c_str(), 1 << 16) != ARCHIVE_OK)
    throw Error("cannot read layer " + digest + ": " + archive_error_string(in.get()));
  WriteArchive out(archive_write_disk_new());
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                ARCHIVE_EXTRACT_UNLINK);
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(in.get(), &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    util::throw_if_interrupted();
    std::string path = normalize_path(std::string("/") + archive_entry_pathname(e));
    fs::path p(path);
    std::string base = p.filename().string();
    if (base.rfind(".wh.", 0) == 0) {
      fs::path dir = root / p.parent_path().relative_path();
      std::error_code ec;
      if (base == ".wh..wh..opq") {
        for (auto& child : fs::directory_iterator(dir, ec)) fs::remove_all(child.path(), ec);
      } else {
        fs::remove_all(dir / base.substr(4), ec);
      }
      continue;
    }
    auto type = archive_entry_filetype(e);
    if (path == "/" || type == AE_IFCHR || type == AE_IFBLK) continue;
    archive_entry_set_pathname(e, (root / p.relative_path()).c_str());
    if (const char* hard = archive_entry_hardlink(e))
      archive_entry_set_hardlink(e, (root / fs::path(normalize_path(std::string("/") + hard)).relative_path()).c_str());
    if (archive_write_header(out.get(), e) != ARCHIVE_OK)
      throw Error("cannot unpack " + path + " from layer " + digest + ": " + archive_error_string(out.get()));
    const void* buf;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK)
      if (archive_write_data_block(out.get(), buf, size, offset) != ARCHIVE_OK)
        throw Error("cannot write " + path + ": " + archive_error_string(out.get()));
    if (r != ARCHIVE_EOF) throw Error("cannot read " + path + " from layer " + digest + ": " + archive_error_string(in.get()));
    archive_write_finish_entry(out.get());
  }
  if (rc != ARCHIVE_EOF) throw Error("cannot read layer " + digest + ": " + archive_error_string(in.get()));
  archive_write_close(out.get());
}

}  // namespace

ImageRunConfig read_run_config(const image::LayoutReader& layout, const image::Descriptor& manifest) {
  nlohmann::json m = layout.read_json_blob(manifest);
  if (!m.contains("config")) throw Error("image manifest " + manifest.digest + " has no config");
  nlohmann::json config = layout.read_json_blob(image::Descriptor::from_json(m["config"]));
  nlohmann::json c = config.value("config", nlohmann::json::object());
  ImageRunConfig out;
  out.entrypoint = strings(c.value("Entrypoint", nlohmann::json()));
  out.cmd = strings(c.value("Cmd", nlohmann::json()));
  out.env = strings(c.value("Env", nlohmann::json()));
  if (c.contains("User") && c["User"].is_string()) out.user = c["User"].get<std::string>();
  if (c.contains("WorkingDir") && c["WorkingDir"].is_string()) out.workdir = c["WorkingDir"].get<std::string>();
  return out;
}

void unpack_image(const image::LayoutReader& layout, const image::Descriptor& manifest, const fs::path& root) {
  nlohmann::json m = layout.read_json_blob(manifest);
  if (!m.contains("layers") || !m["layers"].is_array()) throw Error("image manifest has no \"layers\" array");
  for (const auto& l : m["layers"]) {
    auto d = image::Descriptor::from_json(l);
    fs::path blob = layout.blob_path(d.digest);
    if (!layout.has_blob(d.digest)) throw Error(layout.dir().string() + " lacks layer blob " + d.digest);
    if ("sha256:" + util::sha256_file_hex(blob) != d.digest) throw Error("layer blob " + blob.string() + " does not match its digest (corrupted layout)");
    extract_layer(blob, d.digest, root);
  }
}

std::pair<unsigned, unsigned> resolve_user(const std::string& user, const fs::path& root) {
  std::string name = user.substr(0, user.find(':'));
  std::string group = user.find(':') == std::string::npos ? "" : user.substr(user.find(':') + 1);
  auto numeric = [](const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; };
  std::optional<unsigned> uid, gid;
  if (numeric(name)) uid = static_cast<unsigned>(std::stoul(name));
  if (numeric(group)) gid = static_cast<unsigned>(std::stoul(group));
  if (name.empty()) uid = 0;
  std::ifstream passwd(root / "etc/passwd");
  std::string line;
  while (std::getline(passwd, line) && (!uid || !gid)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ':')) f.push_back(field);
    if (f.size() < 4 || !numeric(f[2]) || !numeric(f[3])) continue;
    bool match = uid ? std::to_string(*uid) == f[2] : f[0] == name;
    if (!match) continue;
    uid = static_cast<unsigned>(std::stoul(f[2]));
    if (!gid && group.empty()) gid = static_cast<unsigned>(std::stoul(f[3]));
  }
  if (!uid) throw Error("the image's user '" + name + "' is not in its /etc/passwd", "set a numeric user (uid:gid)");
  if (!gid && !group.empty()) throw Error("the image's group '" + group + "' is not numeric", "use a numeric uid:gid user");
  return {*uid, gid ? *gid : *uid};
}

}  // namespace slimbuild::runtrace
