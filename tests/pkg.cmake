# tests/pkg.cmake — packaging and the command line's conventions: --help and the manual pages,
# one parser, messages and exit statuses (pkg_cli); `cmake --install` into a temporary prefix used
# from elsewhere (pkg_install); a trace in which nothing could be recorded is exit 2 (pkg_nothing);
# PROFTRACE_* values checked (pkg_env); the Debian package (pkg_deb).
set(PT_PKG_ENV "${PT_TEST_ENV};PT_BUILD=${PROJECT_BINARY_DIR}")
foreach(name pkg_cli pkg_install pkg_nothing pkg_env pkg_deb)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${name}.sh)
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 ENVIRONMENT "${PT_PKG_ENV}")
endforeach()
# Both install the build tree (cmake --install, cpack): one at a time. pkg_deb also installs the
# package on the system: never two at once (another build tree's run takes a lock file too).
set_tests_properties(pkg_install pkg_deb PROPERTIES RESOURCE_LOCK pt_build_tree_install)
set_tests_properties(pkg_deb PROPERTIES TIMEOUT 900) # cpack compresses, dpkg-shlibdeps, apt-get
