# tests/samples.cmake — unit and integration tests of samples/ (libwinsim, libmapisim, scenarios).
function(pt_samples_unit_test name)
  add_executable(${name} ${PROJECT_SOURCE_DIR}/tests/unit/${name}.c)
  target_link_libraries(${name} PRIVATE ${ARGN})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 60)
endfunction()

pt_samples_unit_test(samples_registry winsim)
