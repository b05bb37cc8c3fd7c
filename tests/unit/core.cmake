# Core unit tests: linked against slcore + slproto only, no server.
foreach(t test_core test_core_ost)
  add_executable(${t} ${CMAKE_CURRENT_LIST_DIR}/${t}.c)
  target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(${t} PRIVATE slcore slproto)
  add_test(NAME unit/${t} COMMAND ${t})
  set_tests_properties(unit/${t} PROPERTIES LABELS unit)
endforeach()
