# The device clients' shared outbox (clients/common/outbox.c) and option
# table (clients/common/opt.c): linked against slclient + slproto only.
if(TARGET slclient)
  add_executable(test_outbox ${CMAKE_CURRENT_LIST_DIR}/test_outbox.c)
  target_include_directories(test_outbox PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(test_outbox PRIVATE slclient slproto)
  add_test(NAME unit/test_outbox COMMAND test_outbox)
  set_tests_properties(unit/test_outbox PROPERTIES LABELS unit)
endif()

if(TARGET slclient)
  add_executable(test_opt ${CMAKE_CURRENT_LIST_DIR}/test_opt.c)
  target_include_directories(test_opt PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(test_opt PRIVATE slclient slproto)
  add_test(NAME unit/test_opt COMMAND test_opt)
  set_tests_properties(unit/test_opt PROPERTIES LABELS unit)
endif()
