// Transparent huge pages for malloc, asked for the one way glibc offers.
//
// A build's memory is mostly small heap objects (a tree of 50,000 files is
// 180 MB of entries, paths, hashes and SBOM text), and on a virtual machine
// every first touch of a 4 KiB page is a costly fault: on the 2-core VM of
// docs/BENCHMARKS.md, 2 MiB pages made that build 24% faster (1.70 s to
// 1.30 s) and the curl image 9% (0.43 s to 0.39 s), for 1 to 5 MB more peak
// RSS. Where the kernel gives huge pages only to memory that asks for them
// (/sys/kernel/mm/transparent_hugepage/enabled is "madvise", as on Debian),
// glibc's allocator asks only when started with the tunable
// glibc.malloc.hugetlb=1, and tunables are read once, as the process
// starts. So `build` and `verify` restart themselves once, first thing, with
// that tunable added to GLIBC_TUNABLES, and the restarted process puts
// GLIBC_TUNABLES back as it was, so no child (git, skopeo, the program
// `trace --run` watches) ever sees the change. Nothing happens where THP is
// "always" (no need) or "never" (no use), where the user's GLIBC_TUNABLES
// already says anything about glibc.malloc.hugetlb, without /proc, or when
// SLIMBUILD_HUGE_PAGES=0; if the restart fails, the process goes on as is.
#pragma once

namespace slimbuild::util {

// Call before anything else reads the environment, with main's argv: in
// the restarted process it puts GLIBC_TUNABLES back; otherwise, if `wanted`
// (the command is worth a restart), it restarts the process as described.
// Returns at once, or in the restarted process; never throws.
void use_huge_pages(char** argv, bool wanted) noexcept;

}  // namespace slimbuild::util
