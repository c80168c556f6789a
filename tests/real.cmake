# tests/real.cmake — real programs under proftrace: PostgreSQL, systemd-tmpfiles,
# sqlite3, CPython, containers made with unshare, and noise workloads (a build, a CPython test
# module). Each script in tests/integration/real_*.sh runs the program as a user would, makes the
# deletion the way the real clean-up does, and checks what the report says: rule, cause, deleter,
# holders and victims; the noise scripts check that nothing is reported.
set(PT_REAL_ENV "${PT_TEST_ENV}")
file(GLOB PT_REAL_INTEG ${CMAKE_CURRENT_SOURCE_DIR}/integration/real_*.sh)
foreach(script ${PT_REAL_INTEG})
  get_filename_component(name ${script} NAME_WE)
  if(name MATCHES "_lib$") # sourced helpers
    continue()
  endif()
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77 ENVIRONMENT "${PT_REAL_ENV}")
endforeach()
