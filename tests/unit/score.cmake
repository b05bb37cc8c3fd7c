# Awards, team scores and series standings (server/score) on real cores
# built from records: slscore + slcore + slproto, no server.
if(TARGET slscore)
  foreach(t award team series)
    add_executable(test_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c)
    target_include_directories(test_${t} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
    target_link_libraries(test_${t} PRIVATE slscore slcore slproto)
    sl_unit_test(${t} test_${t})
  endforeach()
endif()
