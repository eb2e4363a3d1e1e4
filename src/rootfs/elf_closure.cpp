// Binary, interpreter and libraries into the Rootfs. The trace stage decided
// which files the loader opens and from where; this only recreates those
// paths, hop by hop, so nothing here re-implements the loader's rules.
#include "rootfs/elf_closure.hpp"

#include <slimbuild/manifest/manifest.hpp>
#include "rootfs/system_files.hpp"
#include <slimbuild/rootfs/tree.hpp>
#include <slimbuild/trace/loader.hpp>

namespace slimbuild::rootfs {

void add_elf_closure(Rootfs& rootfs, const manifest::Manifest& manifest, const trace::TraceResult& trace,
                     const util::FileSystem& files) {
  Entry binary = file_entry(manifest.binary.path, manifest.binary.dest, 0755, EntryOrigin::Binary, files);
  binary.xattrs = binary_xattrs(manifest);  // capabilities:
  rootfs.add(std::move(binary));

  if (trace.interpreter)
    add_from_sysroot(rootfs, manifest.sysroot, trace.interpreter->image_path, EntryOrigin::Interpreter,
                     {manifest.binary.dest}, files);
  for (const auto& lib : trace.libraries) {
    // The trace names the loading ELF by its host-side image path; in the
    // image the application sits at binary.dest, so say that instead.
    std::vector<std::string> needed_by;
    for (const auto& who : lib.needed_by)
      needed_by.push_back(who == trace.binary.image_path ? manifest.binary.dest : who);
    if (lib.found_via == trace::FoundVia::Origin) {
      // Found beside a binary that lives outside the sysroot (e.g. a build
      // tree with RUNPATH $ORIGIN): there is no sysroot chain to recreate;
      // the file goes where the loader will look for it in the image.
      rootfs::Entry e =
          file_entry(lib.host_path, lib.image_path, mode_from_exec_bit(lib.host_path, files), EntryOrigin::Library, files);
      e.needed_by = needed_by;
      rootfs.add(std::move(e));
    } else {
      add_from_sysroot(rootfs, manifest.sysroot, lib.image_path, EntryOrigin::Library, needed_by, files);
    }
  }
}

}  // namespace slimbuild::rootfs
