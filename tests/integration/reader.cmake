# integration.chicago: emulated timing hardware (splitline-emu) on four mats,
# one protocol each, through splitline-reader into splitlined; splits must
# equal chicago-2023-mats.csv to the second.  Race time runs 40x: about
# 4 minutes of wall time, more under sanitizers.
set(_sl_chicago_missing "")
foreach(t splitlined splitline splitline-replay splitline-reader splitline-emu)
  if(NOT TARGET ${t})
    list(APPEND _sl_chicago_missing ${t})
  endif()
endforeach()
if(NOT SL_PYTHON)
  add_test(NAME integration.chicago
           COMMAND sh -c "echo 'no python3 with websockets and msgpack: run scripts/setup'; exit 1")
elseif(_sl_chicago_missing)
  add_test(NAME integration.chicago
           COMMAND sh -c "echo 'targets not built: ${_sl_chicago_missing}'; exit 1")
else()
  add_test(NAME integration.chicago
           COMMAND ${SL_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_chicago.py
                   --server $<TARGET_FILE:splitlined>
                   --ctl $<TARGET_FILE:splitline>
                   --replay $<TARGET_FILE:splitline-replay>
                   --reader $<TARGET_FILE:splitline-reader>
                   --emu $<TARGET_FILE:splitline-emu>
                   --redis-server ${SL_REDIS_SERVER}
                   --source-dir ${CMAKE_SOURCE_DIR}
                   --data-dir ${SL_DATA_DIR})
endif()
set_tests_properties(integration.chicago PROPERTIES
  TIMEOUT 1200 PROCESSORS 2 LABELS "integration"
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;PYTHONUNBUFFERED=1")
