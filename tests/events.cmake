# tests/events.cmake — `proftrace events` and the filters it shares with `proftrace live`: the
# arguments' constants by name, stacks as report shows them, report's times, every filter. Each
# script records real calls (tests/events/calls.c, the bug2 scenario) in its own temp dir.
find_package(Threads REQUIRED)
add_executable(events_calls ${CMAKE_CURRENT_SOURCE_DIR}/events/calls.c)
target_link_libraries(events_calls PRIVATE mapisim winsim Threads::Threads)
target_include_directories(events_calls PRIVATE ${PROJECT_SOURCE_DIR}/samples/include)
set_target_properties(events_calls PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
file(GLOB PT_EVENTS_INTEG ${CMAKE_CURRENT_SOURCE_DIR}/integration/events_*.sh)
list(FILTER PT_EVENTS_INTEG EXCLUDE REGEX "_lib\\.sh$") # sourced helpers
foreach(script ${PT_EVENTS_INTEG})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300
    ENVIRONMENT "${PT_TEST_ENV}")
endforeach()
