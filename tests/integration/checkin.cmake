# integration.checkin (issue 5): the whole Boston 2015 field checked in by
# four splitline-scan processes, two of them through a TCP proxy that goes
# down and comes back; exact counts, one check-in per athlete, duplicates
# and unknown codes warned; revoked and point-scoped scanner tokens; a
# handheld passing filling a missed mat read.  About 20 s under ASan.
set(_sl_checkin_missing "")
foreach(t splitlined splitline splitline-replay splitline-scan)
  if(NOT TARGET ${t})
    list(APPEND _sl_checkin_missing ${t})
  endif()
endforeach()
if(NOT SL_PYTHON)
  add_test(NAME integration.checkin
           COMMAND sh -c "echo 'no python3 with websockets and msgpack: run scripts/setup'; exit 1")
elseif(_sl_checkin_missing)
  add_test(NAME integration.checkin
           COMMAND sh -c "echo 'targets not built: ${_sl_checkin_missing}'; exit 1")
else()
  add_test(NAME integration.checkin
           COMMAND ${SL_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_checkin.py
                   --server $<TARGET_FILE:splitlined>
                   --ctl $<TARGET_FILE:splitline>
                   --replay $<TARGET_FILE:splitline-replay>
                   --scan $<TARGET_FILE:splitline-scan>
                   --redis-server ${SL_REDIS_SERVER}
                   --source-dir ${CMAKE_SOURCE_DIR}
                   --data-dir ${SL_DATA_DIR})
endif()
set_tests_properties(integration.checkin PROPERTIES
  TIMEOUT 600 PROCESSORS 2 LABELS "integration"
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;PYTHONUNBUFFERED=1")
