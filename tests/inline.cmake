# tests/inline.cmake — inline-hook engine: relocation on a corpus of real prologues, refusals,
# hooking under running threads, and the benchmark's programs.
if(NOT TARGET pt_inline)
  add_subdirectory(${PROJECT_SOURCE_DIR}/preload/inline ${PROJECT_BINARY_DIR}/preload-inline)
endif()
if(NOT TARGET pt_inline)
  return() # disabled (no capstone or not x86-64); preload/inline said why
endif()

# The corpus: prologues.c built by every compiler found, at -O0..-O3, with and without endbr64.
set(PT_INLINE_FIXTURES ${PROJECT_SOURCE_DIR}/tests/fixtures/prologues)
set(PT_INLINE_CORPUS_DIR ${PROJECT_BINARY_DIR}/tests/prologues)
file(MAKE_DIRECTORY ${PT_INLINE_CORPUS_DIR})
find_program(PT_GCC NAMES gcc gcc-12)
find_program(PT_CLANG NAMES clang clang-14)
set(pt_inline_corpus)
foreach(cc gcc clang)
  if(cc STREQUAL "gcc")
    set(ccpath ${PT_GCC})
  else()
    set(ccpath ${PT_CLANG})
  endif()
  if(NOT ccpath)
    message(WARNING "${cc} not found: its prologues are not in the inline-hook corpus")
    continue()
  endif()
  foreach(opt O0 O1 O2 O3)
    foreach(cet plain cet)
      set(flags -${opt} -fPIC -shared -fvisibility=hidden)
      if(opt STREQUAL "O1" OR (opt STREQUAL "O2" AND cet STREQUAL "cet"))
        list(APPEND flags -fno-omit-frame-pointer) # push rbp; mov rbp,rsp: several short insns
      endif()
      if(cet STREQUAL "cet")
        list(APPEND flags -fcf-protection=full)
      else()
        list(APPEND flags -fcf-protection=none)
      endif()
      set(so ${PT_INLINE_CORPUS_DIR}/libprologues-${cc}-${opt}-${cet}.so)
      add_custom_command(OUTPUT ${so}
        COMMAND ${ccpath} ${flags} -o ${so} ${PT_INLINE_FIXTURES}/prologues.c
        DEPENDS ${PT_INLINE_FIXTURES}/prologues.c
        COMMENT "prologue corpus: ${cc} -${opt} ${cet}")
      list(APPEND pt_inline_corpus ${so})
      add_test(NAME inline_prologues_${cc}_${opt}_${cet}
               COMMAND inline_prologues ${so})
      set_tests_properties(inline_prologues_${cc}_${opt}_${cet} PROPERTIES TIMEOUT 60)
    endforeach()
  endforeach()
endforeach()
set(pt_handmade ${PT_INLINE_CORPUS_DIR}/libprologues-handmade.so)
add_custom_command(OUTPUT ${pt_handmade}
  COMMAND ${CMAKE_C_COMPILER} -shared -fPIC -o ${pt_handmade} ${PT_INLINE_FIXTURES}/handmade.S
  DEPENDS ${PT_INLINE_FIXTURES}/handmade.S
  COMMENT "prologue corpus: hand-written entries")
set(pt_dup ${PT_INLINE_CORPUS_DIR}/libprologues-dup.so)
add_custom_command(OUTPUT ${pt_dup}
  COMMAND ${CMAKE_C_COMPILER} -O2 -shared -fPIC -fvisibility=hidden -o ${pt_dup}
          ${PT_INLINE_FIXTURES}/dup_a.c ${PT_INLINE_FIXTURES}/dup_b.c
  DEPENDS ${PT_INLINE_FIXTURES}/dup_a.c ${PT_INLINE_FIXTURES}/dup_b.c
  COMMENT "prologue corpus: two static functions of one name")
set(pt_bsym ${PT_INLINE_CORPUS_DIR}/libprologues-bsymbolic.so)
add_custom_command(OUTPUT ${pt_bsym}
  COMMAND ${CMAKE_C_COMPILER} -O2 -shared -fPIC -fvisibility=hidden -Wl,-Bsymbolic -o ${pt_bsym}
          ${PT_INLINE_FIXTURES}/prologues.c
  DEPENDS ${PT_INLINE_FIXTURES}/prologues.c
  COMMENT "prologue corpus: -Bsymbolic")
add_custom_target(inline_corpus ALL DEPENDS ${pt_inline_corpus} ${pt_handmade} ${pt_dup} ${pt_bsym})

foreach(t prologues handmade threads find zlib)
  add_executable(inline_${t} ${PROJECT_SOURCE_DIR}/tests/unit/inline_${t}.c)
  target_link_libraries(inline_${t} PRIVATE pt_inline ${CMAKE_DL_LIBS})
  add_dependencies(inline_${t} inline_corpus)
endforeach()
add_test(NAME inline_handmade COMMAND inline_handmade ${pt_handmade})
add_test(NAME inline_find COMMAND inline_find ${pt_dup} ${pt_bsym})
add_test(NAME inline_zlib COMMAND inline_zlib)
set_tests_properties(inline_zlib PROPERTIES SKIP_RETURN_CODE 77)
add_test(NAME inline_threads_gcc_O2
         COMMAND inline_threads ${PT_INLINE_CORPUS_DIR}/libprologues-gcc-O2-plain.so
                 ${PT_INLINE_CORPUS_DIR}/libprologues-gcc-O2-cet.so ${pt_handmade})
set_tests_properties(inline_handmade inline_threads_gcc_O2 PROPERTIES TIMEOUT 120)

# bench/inline.bench.sh: one library function called three ways (plain, interposed, inline-hooked).
add_library(inline_bench_target SHARED ${PROJECT_SOURCE_DIR}/tests/unit/inline_bench_target.c)
add_library(inline_bench_preload SHARED ${PROJECT_SOURCE_DIR}/tests/unit/inline_bench_preload.c)
target_link_libraries(inline_bench_preload PRIVATE ${CMAKE_DL_LIBS})
add_executable(inline_bench ${PROJECT_SOURCE_DIR}/tests/unit/inline_bench.c)
target_link_libraries(inline_bench PRIVATE pt_inline inline_bench_target ${CMAKE_DL_LIBS})
add_test(NAME inline_bench_smoke COMMAND inline_bench --smoke)
add_test(NAME inline_bench_smoke_preloaded COMMAND inline_bench --smoke --preloaded)
# Under AddressSanitizer, a preloaded library comes before the ASan runtime: allow it.
set_tests_properties(inline_bench_smoke_preloaded PROPERTIES
  ENVIRONMENT "LD_PRELOAD=$<TARGET_FILE:inline_bench_preload>;ASAN_OPTIONS=verify_asan_link_order=0")
