# package.cmake — `cpack -G DEB` in the build tree: a Debian package of the installed tree
# (cmake/install.cmake) under /usr, its Depends: computed by dpkg-shlibdeps from what the
# executable, the shim and the demo programs link with.
set(CPACK_PACKAGE_NAME proftrace)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "catch resources deleted out from under live processes across namespaces")
set(CPACK_PACKAGE_DESCRIPTION
    "proftrace traces who holds each shared resource (shared memory, files, registry keys of a\n"
    "profile library) by its physical identity, and flags the process that deletes one another\n"
    "live process still holds, naming the split (account, login session, mount, IPC or PID\n"
    "namespace) that made its liveness check blind, and the failure it caused.")
set(CPACK_PACKAGE_CONTACT "proftrace maintainers <proftrace@localhost>")
# Installed into a staging DESTDIR with the real prefix, so that install(CODE) writes /usr into
# gdb's auto-load script, not the staging directory.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES OFF) # the demo's report shows source lines in its stacks (DWARF)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The demo's libraries are found through its programs' RUNPATH ($ORIGIN/../lib).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/lib)
# Libraries the executable loads itself when a report first needs them (dlopen: analyzer/disasm.c,
# analyzer/demangle_cxa.c), which dpkg-shlibdeps cannot see: the packages that have them are named
# here, with the ones it computes. capstone only where the inline-hook engine, which links it, is
# not built.
function(pt_package_of path out) # the package that has file `path` (dpkg -S), or ""
  get_filename_component(real "${path}" REALPATH)
  execute_process(COMMAND dpkg -S "${real}" OUTPUT_VARIABLE owner ERROR_QUIET RESULT_VARIABLE rc)
  set(${out} "" PARENT_SCOPE)
  if(rc EQUAL 0 AND owner MATCHES "^([^:, ]+)")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  endif()
endfunction()
set(pt_loaded_packages "")
if(PT_HAVE_CXA_DEMANGLE)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libstdc++.so.6
                  OUTPUT_VARIABLE pt_stdcxx OUTPUT_STRIP_TRAILING_WHITESPACE)
  pt_package_of("${pt_stdcxx}" pkg)
  list(APPEND pt_loaded_packages ${pkg})
endif()
if(CAPSTONE_FOUND AND NOT TARGET pt_inline_engine)
  string(REGEX MATCH "^[0-9]+" pt_capstone_major "${CAPSTONE_VERSION}")
  pt_package_of("${CAPSTONE_LIBRARY_DIRS}/libcapstone.so.${pt_capstone_major}" pkg)
  list(APPEND pt_loaded_packages ${pkg})
endif()
string(REPLACE ";" ", " CPACK_DEBIAN_PACKAGE_DEPENDS "${pt_loaded_packages}")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "gdb, babeltrace2")
include(CPack)
