# attach tests: proftrace attached to running processes (attach/, preload/attach.c, record -p,
# collect --attach). Unit tests run the injector's parts on a forked child; the integration
# scripts attach to real services, shm holders and busy multi-threaded programs.
if(NOT TARGET pt_attach)
  return()
endif()
find_package(Threads REQUIRED)
file(GLOB PT_ATTACH_UNIT ${CMAKE_CURRENT_SOURCE_DIR}/unit/attach_*.c)
foreach(src ${PT_ATTACH_UNIT})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  if(NOT name STREQUAL "attach_tool_static")
    target_link_libraries(${name} PRIVATE pt_attach Threads::Threads)
  endif()
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  if(name STREQUAL "attach_tool_static") # the refusal of a statically linked program
    # (the sanitizers' runtimes cannot be linked statically: this one is built without them)
    target_compile_options(${name} PRIVATE -fno-sanitize=all)
    target_link_options(${name} PRIVATE -fno-sanitize=all -static)
  endif()
  if(name MATCHES "^attach_tool_") # programs the scripts attach to
    continue()
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()
# The call test writes the red zone from inline assembly: the compiler must not keep its own
# values there.
set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/unit/attach_call.c PROPERTIES
                            COMPILE_OPTIONS "-mno-red-zone")
file(GLOB PT_ATTACH_INTEG ${CMAKE_CURRENT_SOURCE_DIR}/integration/attach_*.sh)
list(FILTER PT_ATTACH_INTEG EXCLUDE REGEX "_lib\\.sh$")
foreach(script ${PT_ATTACH_INTEG})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
    ENVIRONMENT "${PT_TEST_ENV}")
endforeach()
if(TEST attach_cycles) # 100 cycles of `record -p` and SIGINT: about a minute on a quiet machine
  set_tests_properties(attach_cycles PROPERTIES TIMEOUT 1200)
endif()
