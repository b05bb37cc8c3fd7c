# Unit tests of splitline-reader's pure parts (clients/reader: parsers,
# framing, journal, filter).
if(TARGET slreader)
  add_executable(test_reader ${CMAKE_CURRENT_LIST_DIR}/test_reader.c)
  target_include_directories(test_reader PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(test_reader PRIVATE slreader slproto)
  add_test(NAME unit_reader COMMAND test_reader)
  set_tests_properties(unit_reader PROPERTIES LABELS unit TIMEOUT 60)
endif()
