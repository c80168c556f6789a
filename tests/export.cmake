# tests/export.cmake — the timeline exporters: escaping (unit), the Chrome JSON structure on real
# traces, and the HTML report rendered by headless Chromium (screenshot kept in tests/export_html/).
add_executable(export_escape ${CMAKE_CURRENT_SOURCE_DIR}/unit/export_escape.c)
target_link_libraries(export_escape PRIVATE pt_analyzer)
set_target_properties(export_escape PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
add_test(NAME export_escape COMMAND export_escape)
set_tests_properties(export_escape PROPERTIES TIMEOUT 60)
add_executable(export_scn ${CMAKE_CURRENT_SOURCE_DIR}/unit/export_scn.c)
target_link_libraries(export_scn PRIVATE pt_analyzer)
target_compile_options(export_scn PRIVATE -Wno-override-init) # WHO(.field = x) overrides defaults
set_target_properties(export_scn PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
add_test(NAME export_scn COMMAND export_scn)
set_tests_properties(export_scn PROPERTIES TIMEOUT 60)
if(TARGET pt_tracer)
  foreach(name export_chrome export_html)
    add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${name}.sh)
    set_tests_properties(${name} PROPERTIES TIMEOUT 300
      ENVIRONMENT "${PT_TEST_ENV}")
  endforeach()
endif()
