// Transparent huge pages for malloc, asked for the one way glibc offers.
//
// A build's memory is mostly small heap objects (a tree of 50,000 files is
// 180 MB of entries, paths, hashes and SBOM text), and on a virtual machine
// every first touch of a 4 KiB page is a costly fault: on the 2-core VM of
// docs/BENCHMARKS.md, 2 MiB pages made that build 20% faster and the curl
// image 5%, for 3 to 6 MB more peak RSS. Where the kernel gives huge pages
// only to memory that asks for them (/sys/kernel/mm/transparent_hugepage/
// enabled is "madvise", as on Debian), glibc's allocator asks only when
// started with the tunable glibc.malloc.hugetlb=1, and tunables are read
// once, as the process starts. So `build` and `verify` restart themselves
// once, first thing, with that tunable added to GLIBC_TUNABLES, and the
// restarted process puts GLIBC_TUNABLES back as it was, in the process
// environment (which children inherit: git, the program `trace --run`
// watches) and in the snapshot cli::run installs, so nothing sees the
// change. Nothing happens where THP is "always" (no need) or "never" (no
// use), where the user's GLIBC_TUNABLES already says anything about
// glibc.malloc.hugetlb, without /proc, or when SLIMBUILD_HUGE_PAGES=0; if
// the restart fails, the process goes on as is.
#pragma once

#include <slimbuild/util/environment.hpp>

namespace slimbuild::cli {

// In the restarted process: puts GLIBC_TUNABLES back (in the process
// environment and in `env`, the snapshot of it) and returns true.
// Otherwise leaves everything alone and returns false.
bool finish_huge_pages_restart(util::Environment& env) noexcept;

// Restarts the process (main's argv) with the tunable added, as described
// above, when `env` (the snapshot) and the kernel call for it. Returns only
// when there is no restart; never throws.
void restart_for_huge_pages(char** argv, const util::Environment& env) noexcept;

}  // namespace slimbuild::cli
