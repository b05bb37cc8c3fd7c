# Unit tests of protocol/: they link only the library under test.
foreach(t sl slid protocol)
  add_executable(test_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
  target_include_directories(test_${t} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(test_${t} PRIVATE slproto)
  sl_unit_test(${t} test_${t})
endforeach()
