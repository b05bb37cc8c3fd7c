# Core unit tests: linked against slcore + slproto only, no server.
foreach(t test_core test_core_ost test_regatta)
  add_executable(${t} ${CMAKE_CURRENT_LIST_DIR}/${t}.c)
  target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(${t} PRIVATE slcore slproto)
  string(REGEX REPLACE "^test_" "" name ${t})
  sl_unit_test(${name} ${t} TIMEOUT 300)
endforeach()

# Regatta acceptance: the three regatta exports and the fixtures in tests/data, folded through the core
# (records built by clients/regatta/regfile.c, the library of splitline-regatta;
# compiled in when clients/ is not part of the build).
if(TARGET slregatta)
  add_executable(test_regatta_data ${CMAKE_CURRENT_LIST_DIR}/test_regatta_data.c)
  target_link_libraries(test_regatta_data PRIVATE slcore slregatta slproto ${CSV_LIB})
else()
  add_executable(test_regatta_data ${CMAKE_CURRENT_LIST_DIR}/test_regatta_data.c
    ${CMAKE_SOURCE_DIR}/clients/regatta/regfile.c)
  target_include_directories(test_regatta_data PRIVATE ${CMAKE_SOURCE_DIR}/clients/regatta)
  target_link_libraries(test_regatta_data PRIVATE slcore slproto ${CSV_LIB})
endif()
target_include_directories(test_regatta_data PRIVATE ${CMAKE_CURRENT_LIST_DIR})
# the regatta files of the tests' own (tests/data)
target_compile_definitions(test_regatta_data PRIVATE
  SL_TESTS_DATA="${CMAKE_CURRENT_LIST_DIR}/../data")
sl_unit_test(regatta_data test_regatta_data TIMEOUT 300 ARGS ${SL_DATA_DIR})
