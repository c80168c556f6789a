# tests/samples.cmake — unit and integration tests of samples/ (libwinsim, libmapisim, scenarios).
find_package(Threads REQUIRED)
# pt_samples_unit_test(NAME LIBS lib... [ARGS arg...]): tests/unit/NAME.c, one process.
function(pt_samples_unit_test name)
  cmake_parse_arguments(T "" "" "LIBS;ARGS" ${ARGN})
  add_executable(${name} ${PROJECT_SOURCE_DIR}/tests/unit/${name}.c)
  target_link_libraries(${name} PRIVATE ${T_LIBS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name} ${T_ARGS})
  set_tests_properties(${name} PROPERTIES TIMEOUT 60)
endfunction()

pt_samples_unit_test(samples_registry LIBS winsim)

# Every scenario at every fix level, with the outcome the case predicts.
set(pt_samples_expect_bug1-impersonation FAILED ok FAILED ok) # none sid global all
set(pt_samples_expect_bug2-session FAILED FAILED ok ok)
set(pt_samples_expect_mntns FAILED FAILED FAILED FAILED)
set(pt_samples_expect_fixed ok ok ok ok)
set(pt_samples_expect_crashed-holder ok ok ok ok)
foreach(scenario bug1-impersonation bug2-session mntns fixed crashed-holder)
  set(i 0)
  foreach(fixes none sid global all)
    list(GET pt_samples_expect_${scenario} ${i} expect)
    add_test(NAME samples_scenario_${scenario}_${fixes}
             COMMAND bash ${PROJECT_SOURCE_DIR}/tests/integration/samples_scenario.sh
                     ${scenario} ${fixes} ${expect})
    set_tests_properties(samples_scenario_${scenario}_${fixes} PROPERTIES
      TIMEOUT 120 ENVIRONMENT "PT_BUILD_DIR=${PROJECT_BINARY_DIR}")
    math(EXPR i "${i} + 1")
  endforeach()
endforeach()
pt_samples_unit_test(samples_mapping LIBS winsim)
pt_samples_unit_test(samples_impersonation LIBS winsim Threads::Threads)
pt_samples_unit_test(samples_profiles LIBS mapisim ARGS $<TARGET_FILE:mapiclient>)
