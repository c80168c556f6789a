# install.cmake — what `cmake --install` puts where. The Debian package (cmake/package.cmake) is
# the same tree under /usr. Paths are fixed, not GNUInstallDirs' (a Debian lib/<triplet>): the
# executable finds its shim relative to itself, at ../lib/proftrace/ (tracer/util.c), wherever
# the prefix is.
# Installing never builds (cpack's `preinstall` too): a test that packages the build tree must not
# relink the executables other tests are running.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)
install(TARGETS proftrace RUNTIME DESTINATION bin)
# The shim is a plugin to preload, not a library to link with: in a directory of its own, with
# anything it loads from beside itself (an inline-hook engine built as a library of its own).
install(TARGETS pt_shim LIBRARY DESTINATION lib/proftrace)
if(TARGET pt_inline_engine)
  install(TARGETS pt_inline_engine LIBRARY DESTINATION lib/proftrace)
endif()

# gdb: the commands, to `source`; and, for gdb's own auto-load directory (searched when gdb's
# prefix is ours, /usr for the package; another prefix is added to gdb's auto-load directories as
# docs/debugging.md says), a script gdb runs when the process it debugs has the shim loaded, that
# sources them. The commands find this prefix's `proftrace` beside the shim or beside themselves.
install(FILES ${PROJECT_SOURCE_DIR}/gdb/proftrace.py DESTINATION share/proftrace/gdb)
install(CODE [[
  set(shim "${CMAKE_INSTALL_PREFIX}/lib/proftrace/libproftrace.so")
  set(script "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/share/gdb/auto-load${shim}-gdb.py")
  message(STATUS "Installing: ${script}")
  file(WRITE "${script}"
       "# Loaded by gdb with libproftrace.so: the proftrace commands (proftrace-events, ...).\n"
       "gdb.execute('source ${CMAKE_INSTALL_PREFIX}/share/proftrace/gdb/proftrace.py')\n")
]])
# The same in the build tree, beside the shim (build/lib/libproftrace.so-gdb.py, which gdb runs
# when that directory is in its auto-load safe-path): the source tree's commands.
file(GENERATE OUTPUT $<TARGET_FILE:pt_shim>-gdb.py CONTENT
     "# Loaded by gdb with the build tree's libproftrace.so: the proftrace commands.
gdb.execute('source ${PROJECT_SOURCE_DIR}/gdb/proftrace.py')
")

# Manual pages: `proftrace help --man` of proftrace and of every subcommand (cmds/commands.h), so
# each page says what --help says.
file(READ ${PROJECT_SOURCE_DIR}/cmds/commands.h pt_commands_h)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/cmds/commands.h)
string(REGEX MATCHALL "CMD\\([a-z]+\\)" pt_cmd_rows "${pt_commands_h}")
set(pt_man_pages "")
foreach(row proftrace ${pt_cmd_rows})
  string(REGEX REPLACE "CMD\\(([a-z]+)\\)" "\\1" cmd "${row}")
  if(cmd STREQUAL "proftrace")
    set(page proftrace.1.gz)
    set(args "")
  else()
    set(page proftrace-${cmd}.1.gz)
    set(args ${cmd})
  endif()
  add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/man/${page}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND sh -c "\"$1\" help --man $2 | gzip -9n >\"$3\"" sh $<TARGET_FILE:proftrace> "${args}"
            ${PROJECT_BINARY_DIR}/man/${page}
    DEPENDS proftrace VERBATIM)
  list(APPEND pt_man_pages ${PROJECT_BINARY_DIR}/man/${page})
endforeach()
add_custom_target(pt_man ALL DEPENDS ${pt_man_pages})
install(FILES ${pt_man_pages} DESTINATION share/man/man1)

# Shell completion (they read `proftrace --help`, so they follow new options by themselves).
install(FILES ${PROJECT_SOURCE_DIR}/completion/proftrace.bash
        DESTINATION share/bash-completion/completions RENAME proftrace)
install(FILES ${PROJECT_SOURCE_DIR}/completion/_proftrace DESTINATION share/zsh/vendor-completions)

# The documentation.
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/proftrace)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION share/doc/proftrace)

# The demo: the bundled reproduction of the case (samples/) with its scenarios, runnable from the
# installed tree: `proftrace record -- PREFIX/lib/proftrace/demo/scenarios/bug2-session.sh`.
set(pt_demo_programs eventsvc mapiclient eventsvc-static mapiclient-static eventsvc-symbolic
    mapiclient-symbolic)
set_target_properties(${pt_demo_programs} winsim mapisim mapisim_symbolic PROPERTIES
  INSTALL_RPATH "$ORIGIN/../lib")
install(TARGETS ${pt_demo_programs} RUNTIME DESTINATION lib/proftrace/demo/bin)
install(TARGETS winsim mapisim mapisim_symbolic LIBRARY DESTINATION lib/proftrace/demo/lib)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/samples/scenarios/ DESTINATION lib/proftrace/demo/scenarios
        USE_SOURCE_PERMISSIONS)
