# tests/reliability.cmake — reliability and security tests: fault unit tests (tests/unit/fault_*.c),
# fault / permission / real-suite integration scripts, and libFuzzer smoke runs of every parser of
# outside input (tests/fuzz, built with clang as a separate project).
find_package(Threads REQUIRED)
set(PT_REL_ENV "${PT_TEST_ENV};PT_FUZZ_BIN=${PROJECT_BINARY_DIR}/fuzz/bin")

file(GLOB PT_FAULT_UNIT ${CMAKE_CURRENT_SOURCE_DIR}/unit/fault_*.c)
foreach(src ${PT_FAULT_UNIT})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE pt_tracer Threads::Threads)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  if(name MATCHES "^fault_tool_(reg|holds)")
    target_link_libraries(${name} PRIVATE winsim)
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/samples/include)
  endif()
  if(name MATCHES "^fault_tool_") # helpers the scripts run
    continue()
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120 ENVIRONMENT "${PT_REL_ENV}")
endforeach()

file(GLOB PT_REL_INTEG ${CMAKE_CURRENT_SOURCE_DIR}/integration/fault_*.sh
     ${CMAKE_CURRENT_SOURCE_DIR}/integration/perm_*.sh
     ${CMAKE_CURRENT_SOURCE_DIR}/integration/suite_*.sh)
foreach(script ${PT_REL_INTEG})
  get_filename_component(name ${script} NAME_WE)
  if(name MATCHES "_lib$|_long$") # sourced helpers; long runs documented in docs/security.md
    continue()
  endif()
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77 ENVIRONMENT "${PT_REL_ENV}")
endforeach()

# Fuzz targets: clang with libFuzzer (Debian: the clang package; libclang-rt-14-dev provides the
# runtime). Checked here once; when missing, CMake says so and the smoke tests are not registered.
option(PT_FUZZ "Build the libFuzzer targets (tests/fuzz) with clang" ON)
find_program(PT_CLANG NAMES clang clang-14)
set(PT_FUZZ_OK FALSE)
if(PT_FUZZ AND PT_CLANG)
  set(_probe ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe.c)
  file(WRITE ${_probe} "#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n")
  execute_process(COMMAND ${PT_CLANG} -fsanitize=fuzzer,address,undefined ${_probe}
                  -o ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  if(_rc EQUAL 0)
    set(PT_FUZZ_OK TRUE)
  endif()
endif()
if(PT_FUZZ_OK)
  include(ExternalProject)
  ExternalProject_Add(pt_fuzz
    SOURCE_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz
    BINARY_DIR ${PROJECT_BINARY_DIR}/fuzz
    CMAKE_ARGS -DCMAKE_C_COMPILER=${PT_CLANG} -DPT_SRC=${PROJECT_SOURCE_DIR}
               -DCMAKE_BUILD_TYPE=RelWithDebInfo
    BUILD_ALWAYS 1
    INSTALL_COMMAND "")
  # Seconds each smoke run fuzzes (bounded; the long campaign is tests/fuzz/campaign.sh).
  set(PT_FUZZ_SMOKE_SECONDS 15 CACHE STRING "seconds of fuzzing per target in the CTest smoke runs")
  set(_targets ring ring_race holds_race ctf env)
  if(CAPSTONE_FOUND)
    list(APPEND _targets reloc)
  endif()
  if(LIBELF_FOUND)
    list(APPEND _targets core)
  endif()
  foreach(t ${_targets})
    add_test(NAME fuzz_${t}_smoke
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/smoke.sh ${t} ${PT_FUZZ_SMOKE_SECONDS})
    set_tests_properties(fuzz_${t}_smoke PROPERTIES TIMEOUT 180 ENVIRONMENT "${PT_REL_ENV}")
  endforeach()
else()
  message(WARNING "clang with libFuzzer (-fsanitize=fuzzer) not found: no fuzz targets, no fuzz "
                  "smoke tests (Debian: apt-get install clang libclang-rt-14-dev)")
endif()
