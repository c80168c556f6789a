# tests/preload.cmake — tests of the shim (libproftrace.so): unit tests run themselves under the
# shim and check the recorded events; integration scripts compare real programs with and without.
find_package(Threads REQUIRED)
add_executable(preload_dump ${CMAKE_CURRENT_SOURCE_DIR}/unit/preload_dump.c)
target_link_libraries(preload_dump PRIVATE pt_tracer)
set_target_properties(preload_dump PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)

file(GLOB PT_PRELOAD_UNIT ${CMAKE_CURRENT_SOURCE_DIR}/unit/preload_*.c)
list(REMOVE_ITEM PT_PRELOAD_UNIT ${CMAKE_CURRENT_SOURCE_DIR}/unit/preload_dump.c)
foreach(src ${PT_PRELOAD_UNIT})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE pt_tracer Threads::Threads rt)
  if(name MATCHES "preload_win32")
    target_link_libraries(${name} PRIVATE mapisim winsim)
  endif()
  if(name MATCHES "preload_win32|preload_dlopen")
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/samples/include)
  endif()
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  add_dependencies(${name} pt_shim mapisim winsim)
  target_link_libraries(${name} PRIVATE ${CMAKE_DL_LIBS})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120
    ENVIRONMENT "${PT_TEST_ENV};PT_SHIM=$<TARGET_FILE:pt_shim>")
endforeach()

# The call table's signatures and the shim's own API types against the sample library's headers.
target_sources(preload_signatures PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit/signatures_shim.c)
target_include_directories(preload_signatures PRIVATE ${PROJECT_SOURCE_DIR}/samples/include)

file(GLOB PT_PRELOAD_INTEG ${CMAKE_CURRENT_SOURCE_DIR}/integration/preload_*.sh)
foreach(script ${PT_PRELOAD_INTEG})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300
    ENVIRONMENT "${PT_TEST_ENV};PT_SHIM=$<TARGET_FILE:pt_shim>")
endforeach()
