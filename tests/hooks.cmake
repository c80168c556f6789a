# tests/hooks.cmake — the shim's inline hooks: the static and -Bsymbolic builds of the profile
# library traced like the dynamic one, PROFTRACE_HOOKS on a static function, refusals, dlopen.
if(NOT TARGET pt_inline)
  return() # no inline engine (no capstone or not x86-64): preload/inline said why
endif()
add_executable(hooks_target ${PROJECT_SOURCE_DIR}/tests/fixtures/hooks/hooks_target.c)
target_compile_options(hooks_target PRIVATE -O2) # -fipa-ra: callers rely on what mix() keeps
find_package(Threads REQUIRED)
target_link_libraries(hooks_target PRIVATE ${CMAKE_DL_LIBS} Threads::Threads)
set_target_properties(hooks_target PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
add_dependencies(hooks_target pt_shim mapisim mapisim_symbolic)

set(pt_hooks_env "${PT_TEST_ENV};PT_SHIM=$<TARGET_FILE:pt_shim>;ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0")
foreach(t variants spec)
  add_test(NAME hooks_${t} COMMAND bash ${PROJECT_SOURCE_DIR}/tests/integration/hooks_${t}.sh)
  set_tests_properties(hooks_${t} PROPERTIES TIMEOUT 300 ENVIRONMENT "${pt_hooks_env}")
endforeach()
