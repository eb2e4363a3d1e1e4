# The sanitizer build (scripts/sanitize.sh configures it in build-asan/ with
# -DSLIMBUILD_SANITIZE=ON and Debian's clang-16): every target compiled with
# AddressSanitizer + UndefinedBehaviorSanitizer (any UB report is fatal), the
# code instrumented for libFuzzer's coverage (fuzzer-no-link), and the fuzz
# targets of tests/fuzz/ built and registered with ctest beside the unit tests.
# Off by default: the normal build stays g++ without instrumentation.
option(SLIMBUILD_SANITIZE "ASan+UBSan build with the libFuzzer targets (needs clang)" OFF)
if(NOT SLIMBUILD_SANITIZE)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "SLIMBUILD_SANITIZE needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++-16")
endif()
# libstdc++ 12 enables <expected> only for __cpp_concepts >= 202002L; clang 16
# implements what it needs (P0848, conditionally trivial special members) but
# still reports 201907L, so the macro is raised by hand.
add_compile_options(-D__cpp_concepts=202002L -Wno-macro-redefined -Wno-unused-private-field)
add_compile_options(-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer -gline-tables-only)
add_link_options(-fsanitize=address,undefined)
set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1")
# tests/fuzz links slimbuild_core, which is defined later (names resolve at generate time).
add_subdirectory(${CMAKE_SOURCE_DIR}/tests/fuzz ${CMAKE_BINARY_DIR}/tests/fuzz)
