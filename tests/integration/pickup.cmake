# integration.pickup (issue 5): bibs from a pool at four desks at once,
# chips paired, swap, transfer, undo and the audit trail, roles, and two
# restarts (snapshot, whole log) giving the same state.  About 30 s.
if(NOT SL_PYTHON)
  add_test(NAME integration.pickup
           COMMAND sh -c "echo 'no python3 with websockets and msgpack: run scripts/setup'; exit 1")
else()
  add_test(NAME integration.pickup
           COMMAND ${SL_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_pickup.py
                   --server $<TARGET_FILE:splitlined>
                   --ctl $<TARGET_FILE:splitline>
                   --replay $<TARGET_FILE:splitline-replay>
                   --redis-server ${SL_REDIS_SERVER}
                   --source-dir ${CMAKE_SOURCE_DIR}
                   --data-dir ${SL_DATA_DIR})
endif()
set_tests_properties(integration.pickup PROPERTIES
  TIMEOUT 600 PROCESSORS 2 LABELS "integration"
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;PYTHONUNBUFFERED=1")
