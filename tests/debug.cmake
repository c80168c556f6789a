# tests/debug.cmake — live debugging and post-mortem: `proftrace core`, the gdb extension (loaded
# as users load it: debug_gdb), PROFTRACE_BREAK and `proftrace live`. Integration scripts, each
# with its own temp dir.
add_executable(debug_trace_dump ${CMAKE_CURRENT_SOURCE_DIR}/debug/trace_dump.c)
target_link_libraries(debug_trace_dump PRIVATE pt_tracer)
set_target_properties(debug_trace_dump PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
file(GLOB PT_DEBUG_INTEG ${CMAKE_CURRENT_SOURCE_DIR}/integration/debug_*.sh)
foreach(script ${PT_DEBUG_INTEG})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77
    ENVIRONMENT "${PT_TEST_ENV}")
endforeach()
# debug_gdb installs the build tree into a temporary prefix: one install at a time (pkg.cmake).
set_tests_properties(debug_gdb PROPERTIES RESOURCE_LOCK pt_build_tree_install)
add_executable(debug_crasher ${CMAKE_CURRENT_SOURCE_DIR}/debug/crasher.c)
set_target_properties(debug_crasher PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
add_executable(debug_holder ${CMAKE_CURRENT_SOURCE_DIR}/debug/holder.c)
set_target_properties(debug_holder PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
