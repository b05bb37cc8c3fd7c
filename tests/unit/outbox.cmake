# The device clients' shared outbox (clients/common/outbox.c) and option
# table (clients/common/opt.c): linked against slclient + slproto only.
if(TARGET slclient)
  add_executable(test_outbox ${CMAKE_CURRENT_LIST_DIR}/test_outbox.c)
  target_include_directories(test_outbox PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(test_outbox PRIVATE slclient slproto)
  sl_unit_test(outbox test_outbox)
endif()

if(TARGET slclient)
  add_executable(test_opt ${CMAKE_CURRENT_LIST_DIR}/test_opt.c)
  target_include_directories(test_opt PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(test_opt PRIVATE slclient slproto)
  sl_unit_test(opt test_opt)
endif()
