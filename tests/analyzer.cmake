# tests/analyzer.cmake — the analyzer's unit tests (hand-built event sequences) and integration
# tests (real scenarios under `proftrace record`, damaged and foreign trace directories).
foreach(t purge held latent report frames victims verdict open_files announced late inherit)
  add_executable(analyzer_${t} ${CMAKE_CURRENT_SOURCE_DIR}/unit/analyzer_${t}.c)
  target_link_libraries(analyzer_${t} PRIVATE pt_analyzer)
  # WHO(.field = x) overrides the defaults it starts from, on purpose.
  target_compile_options(analyzer_${t} PRIVATE -Wno-override-init)
  set_target_properties(analyzer_${t} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  add_test(NAME analyzer_${t} COMMAND analyzer_${t})
  set_tests_properties(analyzer_${t} PROPERTIES TIMEOUT 60)
endforeach()
if(TARGET pt_tracer)
  add_executable(analyzer_mktrace ${CMAKE_CURRENT_SOURCE_DIR}/unit/analyzer_mktrace.c)
  target_link_libraries(analyzer_mktrace PRIVATE pt_analyzer pt_tracer)
  target_compile_options(analyzer_mktrace PRIVATE -Wno-override-init)
  set_target_properties(analyzer_mktrace PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
endif()
foreach(tool analyzer_holder analyzer_forker) # real holders for the integration tests
  add_executable(${tool} ${CMAKE_CURRENT_SOURCE_DIR}/unit/${tool}.c)
  target_link_libraries(${tool} PRIVATE rt)
  set_target_properties(${tool} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
endforeach()
file(GLOB PT_ANALYZER_INTEG ${CMAKE_CURRENT_SOURCE_DIR}/integration/analyzer_*.sh)
foreach(script ${PT_ANALYZER_INTEG})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77
    ENVIRONMENT "${PT_TEST_ENV}")
endforeach()
# Checkpoints (rotation): the state restored from a checkpoint reports what the state itself does.
add_executable(analyzer_checkpoint_tool ${CMAKE_CURRENT_SOURCE_DIR}/unit/analyzer_checkpoint_tool.c)
target_link_libraries(analyzer_checkpoint_tool PRIVATE pt_analyzer)
set_target_properties(analyzer_checkpoint_tool PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
