# Fuzz drivers of the clients' readers of outside input: the participants
# CSV importer and the event config YAML reader (only with SL_FUZZ; see
# 00-fuzz.cmake).  The client sources are compiled into the driver so that
# they are instrumented; the protocol library comes instrumented as
# slproto_fuzz.
set(SL_CLIENT_DIR ${CMAKE_SOURCE_DIR}/clients/common)
sl_add_fuzzer(fuzz_csv
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_csv.c ${SL_CLIENT_DIR}/csvimport.c
          ${SL_CLIENT_DIR}/csvimport_header.c ${SL_CLIENT_DIR}/csvimport_row.c
          ${SL_CLIENT_DIR}/ftext.c
  LIBS slproto_fuzz ${CSV_LIB}
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/csv)
sl_add_fuzzer(fuzz_yaml
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_yaml.c ${SL_CLIENT_DIR}/evcfg.c ${SL_CLIENT_DIR}/evtime.c
          ${SL_CLIENT_DIR}/ytree.c ${SL_CLIENT_DIR}/ftext.c
  LIBS slproto_fuzz PkgConfig::YAML
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/yaml)
if(SL_FUZZ)
  foreach(t fuzz_csv fuzz_yaml)
    target_include_directories(${t} PRIVATE ${SL_CLIENT_DIR})
  endforeach()
endif()
