# Unit tests of the client library (clients/common): linked against
# slclient + slproto only; no server.  The demo YAML and the real race data
# are read from the source tree and SL_DATA_DIR.
if(TARGET slclient)
  add_executable(test_clients ${CMAKE_CURRENT_LIST_DIR}/test_clients.c)
  target_include_directories(test_clients PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_compile_definitions(test_clients PRIVATE
    SL_SOURCE_DIR="${CMAKE_SOURCE_DIR}" SL_DATA_DIR="${SL_DATA_DIR}")
  target_link_libraries(test_clients PRIVATE slclient slproto)
  sl_unit_test(clients test_clients TIMEOUT 120)

  # The importer's reading of headers, columns and dates (issue 12).
  add_executable(test_csvimport ${CMAKE_CURRENT_LIST_DIR}/test_csvimport.c)
  target_include_directories(test_csvimport PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(test_csvimport PRIVATE slclient slproto)
  sl_unit_test(csvimport test_csvimport)
endif()

# The label sheets (clients/scan/test_labels.c, built beside splitline-scan).
if(TARGET test_labels)
  sl_unit_test(labels test_labels TIMEOUT 120)
endif()
