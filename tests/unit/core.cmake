# Core unit tests: linked against slcore + slproto only, no server.
foreach(t test_core test_core_ost test_regatta)
  add_executable(${t} ${CMAKE_CURRENT_LIST_DIR}/${t}.c)
  target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(${t} PRIVATE slcore slproto)
  add_test(NAME unit/${t} COMMAND ${t})
  set_tests_properties(unit/${t} PROPERTIES LABELS unit)
endforeach()

# Regatta acceptance: the three regatta exports, folded through the core.
add_executable(test_regatta_data ${CMAKE_CURRENT_LIST_DIR}/test_regatta_data.c)
target_include_directories(test_regatta_data PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_regatta_data PRIVATE slcore slproto ${CSV_LIB})
add_test(NAME unit/test_regatta_data COMMAND test_regatta_data ${SL_DATA_DIR})
set_tests_properties(unit/test_regatta_data PROPERTIES LABELS unit)
