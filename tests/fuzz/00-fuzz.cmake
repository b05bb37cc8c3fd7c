# Fuzzing (libFuzzer).  Named 00-fuzz.cmake so that it is included before
# the other tests/fuzz/<area>.cmake fragments (they are included in sorted
# order) and they can call sl_add_fuzzer() below.
#
#   sl_add_fuzzer(<name> SOURCES <driver.c> [more.c ...] [LIBS <targets> ...]
#                 [CORPUS <seed dir>] [SECONDS <n>])
#
# builds <name> with -fsanitize=fuzzer,address,undefined and registers a
# ctest <name> that runs it for SECONDS (default 20) over the seeds in
# CORPUS.  New inputs it finds go to <build>/tests/fuzz-corpus/<name>, never
# into the source tree; crash files to <build>/tests/fuzz-artifacts/.
# When SL_FUZZ is OFF the function does nothing, so fragments can call it
# unconditionally.
#
# Only code compiled with coverage instrumentation guides the fuzzer: put
# the sources under test in SOURCES, or link slproto_fuzz (the protocol
# library compiled for fuzzing) instead of slproto.

if(SL_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SL_FUZZ=ON needs clang (libFuzzer): "
      "configure with -DCMAKE_C_COMPILER=clang in a separate build directory")
  endif()
  set(SL_FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer -g)
  set(SL_FUZZ_LIB_FLAGS -fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=all -fno-omit-frame-pointer -g)

  # The protocol library, instrumented.
  add_library(slproto_fuzz STATIC ${SLPROTO_SOURCES})
  target_include_directories(slproto_fuzz PUBLIC ${CMAKE_SOURCE_DIR}/protocol)
  target_compile_options(slproto_fuzz PRIVATE ${SL_FUZZ_LIB_FLAGS})
  target_link_libraries(slproto_fuzz PUBLIC PkgConfig::MSGPACK PkgConfig::JANSSON m)
endif()

function(sl_add_fuzzer name)
  if(NOT SL_FUZZ)
    return()
  endif()
  cmake_parse_arguments(F "" "CORPUS;SECONDS" "SOURCES;LIBS" ${ARGN})
  if(NOT F_SOURCES)
    message(FATAL_ERROR "sl_add_fuzzer(${name}): no SOURCES")
  endif()
  if(NOT F_SECONDS)
    set(F_SECONDS 20)
  endif()
  add_executable(${name} ${F_SOURCES})
  target_compile_options(${name} PRIVATE ${SL_FUZZ_FLAGS})
  target_link_options(${name} PRIVATE ${SL_FUZZ_FLAGS})
  target_link_libraries(${name} PRIVATE ${F_LIBS})

  set(work ${CMAKE_BINARY_DIR}/tests/fuzz-corpus/${name})
  set(artifacts ${CMAKE_BINARY_DIR}/tests/fuzz-artifacts)
  file(MAKE_DIRECTORY ${work} ${artifacts})
  # The ctest name is fuzz.<what>: the target fuzz_slp runs as fuzz.slp.
  # libFuzzer adds what it finds to the first directory only.
  string(REGEX REPLACE "^fuzz_" "" short ${name})
  add_test(NAME fuzz.${short}
    COMMAND ${name} -max_total_time=${F_SECONDS} -timeout=10 -rss_limit_mb=2048
      -print_final_stats=1 -artifact_prefix=${artifacts}/${name}- ${work} ${F_CORPUS})
  math(EXPR limit "${F_SECONDS} + 60")
  set_tests_properties(fuzz.${short} PROPERTIES LABELS fuzz
    TIMEOUT ${limit} ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1")
endfunction()

sl_add_fuzzer(fuzz_slp
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_slp.c
  LIBS slproto_fuzz
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/slp)
