# tests/alerts.cmake — findings where administrators look (analyzer/alert*.c, cmds/collect_alert.c):
# the journal's native protocol on a socket the test binds (alert_journal_proto), the --on-finding
# commands (alert_commands), `collect --on-finding` end to end on a real scenario (alert_collect),
# a victim that comes after its finding was sent (alert_late_victim),
# a real journald in a private mount namespace read back with journalctl (alert_journald), and the
# systemd unit and drop-in as installed (alert_systemd).
foreach(t journal_proto commands)
  add_executable(alert_${t} ${CMAKE_CURRENT_SOURCE_DIR}/unit/alert_${t}.c)
  target_link_libraries(alert_${t} PRIVATE pt_analyzer)
  set_target_properties(alert_${t} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  add_test(NAME alert_${t} COMMAND alert_${t})
  set_tests_properties(alert_${t} PROPERTIES TIMEOUT 120)
endforeach()
# What alert_journald sends besides collect's findings: an entry too large for a datagram.
add_executable(alert_tool_send ${CMAKE_CURRENT_SOURCE_DIR}/unit/alert_tool_send.c)
target_link_libraries(alert_tool_send PRIVATE pt_analyzer)
set_target_properties(alert_tool_send PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
foreach(name alert_collect alert_late_victim alert_journald alert_systemd)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${name}.sh)
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
    ENVIRONMENT "${PT_TEST_ENV};PT_BUILD=${PROJECT_BINARY_DIR}")
endforeach()
# alert_systemd installs the build tree (cmake --install) as pkg_install does: one at a time.
set_tests_properties(alert_systemd PROPERTIES RESOURCE_LOCK pt_build_tree_install)
