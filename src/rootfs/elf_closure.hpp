// The binary and everything the dynamic loader will open for it: the
// interpreter named by PT_INTERP and every library of the traced closure, each
// at the path the loader uses, with the symlink chain that leads there on the
// build system (merged-/usr links such as /lib64 -> usr/lib64 and soname
// links such as libz.so.1 -> libz.so.1.2.13) recreated in the image.
#pragma once

#include <slimbuild/rootfs/rootfs.hpp>

namespace slimbuild::rootfs {

// The binary goes to manifest.binary.dest with mode 0755 (it is the
// entrypoint, whatever its mode on disk); libraries keep the exec-bit rule.
void add_elf_closure(Rootfs& rootfs, const manifest::Manifest& manifest, const trace::TraceResult& trace,
                     const util::FileSystem& files = util::real_filesystem());

}  // namespace slimbuild::rootfs
