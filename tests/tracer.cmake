# tracer tests: unit tests (one process each) and integration scripts, all with unique temp dirs.
find_package(Threads REQUIRED)
# libptflood.so: a registry that answers at once, so a traced loop floods its buffer (ring tests)
add_library(ptflood SHARED ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/ring/flood_lib.c)
set_target_properties(ptflood PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
file(GLOB PT_TRACER_UNIT ${CMAKE_CURRENT_SOURCE_DIR}/unit/tracer_*.c)
foreach(src ${PT_TRACER_UNIT})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE pt_tracer Threads::Threads)
  if(name STREQUAL "tracer_tool_flood")
    target_link_libraries(${name} PRIVATE ptflood)
  endif()
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  if(NOT name MATCHES "^tracer_tool_") # tools: helpers the integration scripts run
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES TIMEOUT 120)
  endif()
endforeach()
file(GLOB PT_TRACER_INTEG ${CMAKE_CURRENT_SOURCE_DIR}/integration/tracer_*.sh)
list(FILTER PT_TRACER_INTEG EXCLUDE REGEX "_lib\\.sh$") # sourced helpers
if(PT_SANITIZE MATCHES "thread")
  # TSan cannot be preloaded into the uninstrumented programs `proftrace record` runs the shim in,
  # and sees nothing across processes: under TSan the tracer is checked by its unit tests, which
  # run writers, signal handlers and the collector as threads of one process.
  message(STATUS "tracer: integration tests are not registered under -DPT_SANITIZE=thread")
  set(PT_TRACER_INTEG "")
endif()
foreach(script ${PT_TRACER_INTEG})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT 240
    ENVIRONMENT "${PT_TEST_ENV}")
endforeach()
if(TEST tracer_drain_rotate) # userfaultfd forces its interleaving; says why when it cannot
  set_tests_properties(tracer_drain_rotate PROPERTIES SKIP_RETURN_CODE 77)
endif()
if(TEST tracer_readers_live) # 50 runs of each reader on a growing trace, on a loaded machine too
  set_tests_properties(tracer_readers_live PROPERTIES TIMEOUT 1200)
endif()
if(TEST tracer_placement) # parts need two CPUs; says why when it has one
  set_tests_properties(tracer_placement PROPERTIES SKIP_RETURN_CODE 77)
endif()
