# Unit tests of splitline-reader's pure parts (clients/reader: parsers,
# framing, journal, filter).
if(TARGET slreader)
  add_executable(test_reader ${CMAKE_CURRENT_LIST_DIR}/test_reader.c)
  target_include_directories(test_reader PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(test_reader PRIVATE slreader slproto)
  sl_unit_test(reader test_reader)
endif()
