# Unit tests of the network front (server/net) that need no socket:
#   test_roles   the role and scope rules (roles.c alone, with slproto)
#   test_fanout  the fan-out (fanout.c + roles.c) with a stub session and a
#                stub core in the test itself; only lws's, libuv's and the
#                core's headers are used, not their libraries (and the
#                core's hmap.c, whose hash names the chans).
if(TARGET slproto)
  add_executable(test_roles ${CMAKE_CURRENT_LIST_DIR}/test_roles.c
    ${CMAKE_SOURCE_DIR}/server/net/roles.c)
  target_include_directories(test_roles PRIVATE ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_SOURCE_DIR}/server)
  target_link_libraries(test_roles PRIVATE slproto)
  sl_unit_test(roles test_roles)

  add_executable(test_fanout ${CMAKE_CURRENT_LIST_DIR}/test_fanout.c
    ${CMAKE_SOURCE_DIR}/server/net/fanout.c ${CMAKE_SOURCE_DIR}/server/net/roles.c
    ${CMAKE_SOURCE_DIR}/server/core/hmap.c)
  target_include_directories(test_fanout PRIVATE ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_SOURCE_DIR}/server ${CMAKE_SOURCE_DIR}/server/core
    ${LWS_INCLUDE_DIRS} ${LIBUV_INCLUDE_DIRS})
  target_link_libraries(test_fanout PRIVATE slproto)
  sl_unit_test(fanout test_fanout)
endif()

# Which export a request path names (server/net/export_req.c): slproto only.
if(TARGET slproto)
  add_executable(test_export_req ${CMAKE_CURRENT_LIST_DIR}/test_export_req.c
    ${CMAKE_SOURCE_DIR}/server/net/export_req.c)
  target_include_directories(test_export_req PRIVATE ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_SOURCE_DIR}/server)
  target_link_libraries(test_export_req PRIVATE slproto)
  sl_unit_test(export_req test_export_req)
endif()
