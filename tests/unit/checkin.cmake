# Check-in unit tests (server/core/checkin*.c through the core): linked
# against slcore + slproto only, no server.
add_executable(test_checkin ${CMAKE_CURRENT_LIST_DIR}/test_checkin.c)
target_include_directories(test_checkin PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_checkin PRIVATE slcore slproto)
add_test(NAME unit/test_checkin COMMAND test_checkin)
set_tests_properties(unit/test_checkin PROPERTIES LABELS unit)

# Pickup: bibs from a pool, chips, swaps, transfers, the audit trail.
add_executable(test_pickup ${CMAKE_CURRENT_LIST_DIR}/test_pickup.c)
target_include_directories(test_pickup PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_pickup PRIVATE slcore slproto)
add_test(NAME unit/test_pickup COMMAND test_pickup)
set_tests_properties(unit/test_pickup PROPERTIES LABELS unit)
