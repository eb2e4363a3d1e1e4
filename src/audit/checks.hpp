// The individual audit checks, each appending findings to a list. Split from
// audit.cpp (which runs them and sorts the result) so each rule reads alone.
#pragma once

#include <vector>

#include <slimbuild/audit/audit.hpp>

namespace slimbuild::audit {

void check_executables(const AuditImage& image, std::vector<Finding>& out);   // shell, interpreter, package-manager
void check_permissions(const AuditImage& image, std::vector<Finding>& out);   // setuid, setgid, world-writable, file-capability
void check_users(const AuditImage& image, std::vector<Finding>& out);         // root-user, unknown-user, login-shell

// packages.cpp: what is installed, and the files nothing accounts for.
std::vector<Package> identify_packages(const AuditImage& image);
void check_accounted(const AuditImage& image, std::vector<Finding>& out);     // unaccounted-file

}  // namespace slimbuild::audit
