# tests/analyzer.cmake — the analyzer's unit tests (hand-built event sequences) and integration
# tests (real scenarios under `proftrace record`, damaged trace directories).
foreach(t purge held latent report)
  add_executable(analyzer_${t} ${CMAKE_CURRENT_SOURCE_DIR}/unit/analyzer_${t}.c)
  target_link_libraries(analyzer_${t} PRIVATE pt_analyzer)
  # WHO(.field = x) overrides the defaults it starts from, on purpose.
  target_compile_options(analyzer_${t} PRIVATE -Wno-override-init)
  add_test(NAME analyzer_${t} COMMAND analyzer_${t})
  set_tests_properties(analyzer_${t} PROPERTIES TIMEOUT 60)
endforeach()
