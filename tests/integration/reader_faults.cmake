# integration.reader_faults.*: timing hardware through faults (issue 4).
# Two emulated mats (start MYLAPS, 10K RaceResult) of 150 Chicago runners
# at 60x; one fault each, twice in the race: a reader SIGKILLed and
# restarted, the decoder's TCP link cut and restored (RaceResult gap fetch
# by number), splitlined SIGKILLed and restarted, Redis SIGKILLed and
# restarted.  Nothing lost, nothing doubled.  About 45 s each.
set(_sl_rf_missing "")
foreach(t splitlined splitline splitline-replay splitline-reader splitline-emu)
  if(NOT TARGET ${t})
    list(APPEND _sl_rf_missing ${t})
  endif()
endforeach()
foreach(fault reader-kill link-cut server-restart redis-restart)
  set(_name integration.reader_faults.${fault})
  if(NOT SL_PYTHON)
    add_test(NAME ${_name}
             COMMAND sh -c "echo 'no python3 with websockets and msgpack: run scripts/setup'; exit 1")
  elseif(_sl_rf_missing)
    add_test(NAME ${_name}
             COMMAND sh -c "echo 'targets not built: ${_sl_rf_missing}'; exit 1")
  else()
    add_test(NAME ${_name}
             COMMAND ${SL_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_reader_faults.py
                     --fault ${fault}
                     --server $<TARGET_FILE:splitlined>
                     --ctl $<TARGET_FILE:splitline>
                     --replay $<TARGET_FILE:splitline-replay>
                     --reader $<TARGET_FILE:splitline-reader>
                     --emu $<TARGET_FILE:splitline-emu>
                     --redis-server ${SL_REDIS_SERVER}
                     --source-dir ${CMAKE_SOURCE_DIR}
                     --data-dir ${SL_DATA_DIR})
  endif()
  set_tests_properties(${_name} PROPERTIES
    TIMEOUT 600 PROCESSORS 2 LABELS "integration"
    ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;PYTHONUNBUFFERED=1")
endforeach()
