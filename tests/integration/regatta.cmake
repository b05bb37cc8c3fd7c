# integration.regatta: the three regatta exports through splitline-regatta
# (import, then replay of the station readings as devices) into splitlined;
# every entry's raw time, adjusted time, place and status must equal the
# published ones to the millisecond.  A few seconds.
set(_sl_regatta_missing "")
foreach(t splitlined splitline splitline-replay splitline-regatta)
  if(NOT TARGET ${t})
    list(APPEND _sl_regatta_missing ${t})
  endif()
endforeach()
if(NOT SL_PYTHON)
  add_test(NAME integration.regatta
           COMMAND sh -c "echo 'no python3 with websockets and msgpack: run scripts/setup'; exit 1")
elseif(_sl_regatta_missing)
  add_test(NAME integration.regatta
           COMMAND sh -c "echo 'targets not built: ${_sl_regatta_missing}'; exit 1")
else()
  add_test(NAME integration.regatta
           COMMAND ${SL_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_regatta.py
                   --server $<TARGET_FILE:splitlined>
                   --ctl $<TARGET_FILE:splitline>
                   --replay $<TARGET_FILE:splitline-replay>
                   --regatta $<TARGET_FILE:splitline-regatta>
                   --redis-server ${SL_REDIS_SERVER}
                   --source-dir ${CMAKE_SOURCE_DIR}
                   --data-dir ${SL_DATA_DIR})
endif()
set_tests_properties(integration.regatta PROPERTIES
  TIMEOUT 600 PROCESSORS 1 LABELS "integration"
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;PYTHONUNBUFFERED=1")
