# Fuzz drivers of splitline-reader's four decoder line parsers (only with
# SL_FUZZ; see 00-fuzz.cmake).  The parser sources are compiled into each
# driver so that they are instrumented.
set(SL_READER_DIR ${CMAKE_SOURCE_DIR}/clients/reader)
foreach(p rrp ctp mlp jcp)
  sl_add_fuzzer(fuzz_reader_${p}
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_reader_${p}.c ${SL_READER_DIR}/rdr.c
            ${SL_READER_DIR}/${p}.c
    LIBS slproto_fuzz
    CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/reader_${p})
  if(SL_FUZZ)
    target_include_directories(fuzz_reader_${p} PRIVATE ${SL_READER_DIR})
  endif()
endforeach()
