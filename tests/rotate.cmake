# tests/rotate.cmake — a trace kept for days: record/collect --max-size and --max-age (chunks, the
# oldest dropped, the analyzer's state carried in checkpoints), restarts after a crash, damaged
# checkpoints, babeltrace2 on every chunk, live across rotation.
if(TARGET winsim)
  add_executable(rotate_load ${CMAKE_CURRENT_SOURCE_DIR}/unit/rotate_load.c)
  target_link_libraries(rotate_load PRIVATE winsim)
  target_include_directories(rotate_load PRIVATE ${PROJECT_SOURCE_DIR}/samples/include)
  set_target_properties(rotate_load PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
endif()
file(GLOB PT_ROTATE_INTEG ${CMAKE_CURRENT_SOURCE_DIR}/integration/rotate_*.sh)
list(FILTER PT_ROTATE_INTEG EXCLUDE REGEX "_lib\\.sh$") # sourced helpers
foreach(script ${PT_ROTATE_INTEG})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600
    ENVIRONMENT "${PT_TEST_ENV}")
endforeach()
# A chunk the analyzer has not read whole is not dropped: the interleaving forced in one thread.
if(TARGET pt_analyzer)
  add_executable(rotate_unread_chunk ${CMAKE_CURRENT_SOURCE_DIR}/unit/rotate_unread_chunk.c)
  target_link_libraries(rotate_unread_chunk PRIVATE pt_analyzer pt_tracer)
  target_compile_options(rotate_unread_chunk PRIVATE -Wno-override-init) # WHO(.field = x)
  set_target_properties(rotate_unread_chunk PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  add_test(NAME rotate_unread_chunk COMMAND rotate_unread_chunk)
  set_tests_properties(rotate_unread_chunk PROPERTIES TIMEOUT 120 ENVIRONMENT "${PT_TEST_ENV}")
endif()
