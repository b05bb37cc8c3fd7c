# test_session: a session's outbound queue, its cap and its writes
# (server/net/session.c) with a stub lws and libuv in the test itself; only
# lws's and libuv's headers are used, not their libraries.
if(TARGET slproto)
  add_executable(test_session ${CMAKE_CURRENT_LIST_DIR}/test_session.c
    ${CMAKE_SOURCE_DIR}/server/net/session.c)
  target_include_directories(test_session PRIVATE ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_SOURCE_DIR}/server ${CMAKE_SOURCE_DIR}/server/core
    ${LWS_INCLUDE_DIRS} ${LIBUV_INCLUDE_DIRS})
  target_link_libraries(test_session PRIVATE slproto)
  sl_unit_test(session test_session)
endif()
