# witness tests: the collector's witness of deletions by processes that are not traced
# (tracer/witness_*.c). Until tracer/CMakeLists.txt lists the witness sources, they are built here
# into pt_witness.
find_package(Threads REQUIRED)
# Once tracer/CMakeLists.txt builds them into pt_tracer, pt_witness is only a name for it.
get_target_property(PT_TRACER_SOURCES pt_tracer SOURCES)
if(NOT TARGET pt_witness)
  if(PT_TRACER_SOURCES MATCHES "witness_core")
    add_library(pt_witness INTERFACE)
    target_link_libraries(pt_witness INTERFACE pt_tracer Threads::Threads)
  else()
    file(GLOB PT_WITNESS_SRC ${PROJECT_SOURCE_DIR}/tracer/witness_*.c)
    add_library(pt_witness STATIC ${PT_WITNESS_SRC})
    target_link_libraries(pt_witness PUBLIC pt_tracer Threads::Threads)
  endif()
endif()
file(GLOB PT_WITNESS_UNIT ${CMAKE_CURRENT_SOURCE_DIR}/unit/witness_*.c)
foreach(src ${PT_WITNESS_UNIT})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE pt_witness pt_tracer Threads::Threads)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  if(NOT name MATCHES "^witness_(bench|tool)")
    add_test(NAME ${name} COMMAND ${name})
    # Alone: reading a deleter's identity races its exit, a race a loaded machine loses more often.
    # 77: what the test needs could not be made (witness_stale: a queue that never overflows)
    set_tests_properties(${name} PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE SKIP_RETURN_CODE 77)
  endif()
endforeach()
# The command-line tests: `proftrace collect`/`record` with their witness.
file(GLOB PT_WITNESS_INTEG ${CMAKE_CURRENT_SOURCE_DIR}/integration/witness_*.sh)
list(FILTER PT_WITNESS_INTEG EXCLUDE REGEX "_lib\\.sh$") # sourced helpers
foreach(script ${PT_WITNESS_INTEG})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT 240
    ENVIRONMENT "${PT_TEST_ENV}")
endforeach()
# The end-to-end tests' traced holders call the Win32 subset (samples/win32).
foreach(tool witness_tool_e2e witness_tool_late)
  if(TARGET ${tool} AND TARGET winsim)
    target_link_libraries(${tool} PRIVATE winsim)
  endif()
endforeach()
