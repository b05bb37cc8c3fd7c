# Check-in unit tests (server/core/checkin*.c through the core): linked
# against slcore + slproto only, no server.
add_executable(test_checkin ${CMAKE_CURRENT_LIST_DIR}/test_checkin.c)
target_include_directories(test_checkin PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_checkin PRIVATE slcore slproto)
sl_unit_test(checkin test_checkin TIMEOUT 300)

# Pickup: bibs from a pool, chips, swaps, transfers, the audit trail.
add_executable(test_pickup ${CMAKE_CURRENT_LIST_DIR}/test_pickup.c)
target_include_directories(test_pickup PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(test_pickup PRIVATE slcore slproto)
sl_unit_test(pickup test_pickup TIMEOUT 300)
