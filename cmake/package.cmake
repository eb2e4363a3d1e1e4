# `cmake --install` and the .deb (`cmake --build build --target package`).
# The binary goes to <prefix>/bin, the man page (gzip -9n) and the bash completion to
# their standard places. CPack's DEB generator names the package
# slimbuild_<version>_<dpkg --print-architecture>.deb and runs dpkg-shlibdeps
# on the binary, so Depends: lists the runtime libraries (LIEF, libarchive,
# libcurl, yaml-cpp, OpenSSL, libdeflate, zstd, ...) and apt installs them.
# The package target is never part of `all`: building it is on demand only.
include(GNUInstallDirs)

install(TARGETS slimbuild RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Man pages go in compressed (Debian policy 12.1), with gzip -9n: no name or
# time stamp in the header, so the package's bytes do not depend on when it was built.
set(SLIMBUILD_MANPAGE_GZ ${CMAKE_BINARY_DIR}/slimbuild.1.gz)
add_custom_command(OUTPUT ${SLIMBUILD_MANPAGE_GZ}
                   COMMAND sh -c "gzip -9n -c \"$1\" > \"$2\"" gzip-man ${CMAKE_SOURCE_DIR}/docs/man/slimbuild.1
                           ${SLIMBUILD_MANPAGE_GZ}
                   DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/slimbuild.1 VERBATIM)
add_custom_target(manpage ALL DEPENDS ${SLIMBUILD_MANPAGE_GZ})
install(FILES ${SLIMBUILD_MANPAGE_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/completion/slimbuild.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME slimbuild)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME slimbuild)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "slimbuild")
set(CPACK_PACKAGE_CONTACT "slimbuild maintainers <slimbuild@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "minimal, reproducible OCI images from a YAML manifest")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "minimal, reproducible OCI images from a YAML manifest
 slimbuild replaces a Dockerfile for one compiled program: it traces the
 binary's ELF dependencies like the dynamic loader, puts exactly those files
 (plus a non-root user, CA certificates and time zones) into one deterministic
 layer, writes an OCI image, and pushes, verifies, inspects, audits and signs
 images.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Registries speak TLS: the system's CA store; man pages read with man-db.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "man-db, bash-completion")
# The RelWithDebInfo binary carries ~100 MiB of debug info; the package does not.
set(CPACK_STRIP_FILES ON)
include(CPack)
