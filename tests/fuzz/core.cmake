# Fuzz driver of the core's record checks and folds, check-in above all
# (see fuzz_core.c).  The core's sources are compiled into the driver so
# that they are instrumented.
set(SL_CORE_DIR ${CMAKE_SOURCE_DIR}/server/core)
set(SL_CORE_FUZZ_SOURCES)
foreach(f cval config cfgfind cfgstrict scorecfg entries participant hmap ost official place crossing roster core fold audit
          view view_rows export snapshot boatclass progression lineup
          adjust checkin checkin_ops checkin_fold checkin_view summary)
  list(APPEND SL_CORE_FUZZ_SOURCES ${SL_CORE_DIR}/${f}.c)
endforeach()
sl_add_fuzzer(fuzz_core
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_core.c ${SL_CORE_FUZZ_SOURCES}
  LIBS slproto_fuzz
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/core)
if(SL_FUZZ)
  target_include_directories(fuzz_core PRIVATE ${SL_CORE_DIR})
endif()

# Fuzz driver of the raw passings reader of the fold's fast path
# (protocol/mpr.c, in slproto_fuzz), against the general path.
sl_add_fuzzer(fuzz_mpr
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_mpr.c
  LIBS slproto_fuzz
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/mpr)
