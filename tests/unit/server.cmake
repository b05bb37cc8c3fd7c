# Unit tests of the server's adapters (server/store): the Redis connection
# object on a real loop.  Links redis.c with slproto, hiredis and libuv only;
# the test starts its own redis-server on a free port (skipped without one).
if(TARGET slproto)
  add_executable(test_redis ${CMAKE_CURRENT_LIST_DIR}/test_redis.c
    ${CMAKE_SOURCE_DIR}/server/store/redis.c)
  target_include_directories(test_redis PRIVATE ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_SOURCE_DIR}/server)
  target_link_libraries(test_redis PRIVATE slproto PkgConfig::HIREDIS PkgConfig::LIBUV)
  sl_unit_test(redis test_redis)

  # store/cluster.c against a cluster of 6 redis-servers it starts itself
  # (redis-cli --cluster create), and against single ones.
  add_executable(test_cluster ${CMAKE_CURRENT_LIST_DIR}/test_cluster.c
    ${CMAKE_SOURCE_DIR}/server/store/cluster.c ${CMAKE_SOURCE_DIR}/server/store/cluster_addr.c
    ${CMAKE_SOURCE_DIR}/server/store/redis.c)
  target_include_directories(test_cluster PRIVATE ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_SOURCE_DIR}/server)
  target_link_libraries(test_cluster PRIVATE slproto PkgConfig::HIREDIS PkgConfig::LIBUV)
  sl_unit_test(cluster test_cluster)
endif()

# The front door's scanner (server/net/door.c): slproto only.
if(TARGET slproto)
  add_executable(test_door ${CMAKE_CURRENT_LIST_DIR}/test_door.c
    ${CMAKE_SOURCE_DIR}/server/net/door.c)
  target_include_directories(test_door PRIVATE ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_SOURCE_DIR}/server)
  target_link_libraries(test_door PRIVATE slproto ${CMAKE_DL_LIBS})
  sl_unit_test(door test_door)
endif()

# The printouts (server/print: PDF and XLSX) on a core built from records;
# cairo's headers for print_int.h (the imported target is GLOBAL).
if(TARGET slprint)
  add_executable(test_print ${CMAKE_CURRENT_LIST_DIR}/test_print.c)
  target_include_directories(test_print PRIVATE ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_SOURCE_DIR}/server)
  target_link_libraries(test_print PRIVATE slprint slcore slproto PkgConfig::PRINT_CAIRO)
  sl_unit_test(print test_print)
endif()
