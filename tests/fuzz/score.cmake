# Fuzz driver of server/score (awards, team scores, series documents and
# standings) on a real core: the core's sources (SL_CORE_FUZZ_SOURCES, from
# core.cmake) and the score's are compiled into the driver, instrumented.
set(SL_SCORE_DIR ${CMAKE_SOURCE_DIR}/server/score)
sl_add_fuzzer(fuzz_score
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_score.c ${SL_CORE_FUZZ_SOURCES}
    ${SL_SCORE_DIR}/award.c ${SL_SCORE_DIR}/team.c ${SL_SCORE_DIR}/series.c
    ${SL_SCORE_DIR}/seriescfg.c ${SL_SCORE_DIR}/pack.c
  LIBS slproto_fuzz
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/score)
if(SL_FUZZ)
  target_include_directories(fuzz_score PRIVATE ${CMAKE_SOURCE_DIR}/server/core ${SL_SCORE_DIR})
endif()
