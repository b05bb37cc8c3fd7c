# integration.scan_cli (issue 5): splitline-scan's finish-tap mode (taps
# timed to the ms, bibs attached in order, undo/skip, a SIGKILL with taps
# waiting, a server outage) and pickup mode (two desks assigning bibs from a
# race's bib_pool concurrently, chips paired at the desk crediting the right
# athletes at the mats), plus labels of registrations (SVG and PDF), on a
# small event written by the test.  About 10 s under ASan.
set(_sl_scan_missing "")
foreach(t splitlined splitline splitline-replay splitline-scan)
  if(NOT TARGET ${t})
    list(APPEND _sl_scan_missing ${t})
  endif()
endforeach()
if(NOT SL_PYTHON)
  add_test(NAME integration.scan_cli
           COMMAND sh -c "echo 'no python3 with websockets and msgpack: run scripts/setup'; exit 1")
elseif(_sl_scan_missing)
  add_test(NAME integration.scan_cli
           COMMAND sh -c "echo 'targets not built: ${_sl_scan_missing}'; exit 1")
else()
  add_test(NAME integration.scan_cli
           COMMAND ${SL_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_scan_cli.py
                   --server $<TARGET_FILE:splitlined>
                   --ctl $<TARGET_FILE:splitline>
                   --replay $<TARGET_FILE:splitline-replay>
                   --scan $<TARGET_FILE:splitline-scan>
                   --redis-server ${SL_REDIS_SERVER}
                   --source-dir ${CMAKE_SOURCE_DIR}
                   --data-dir ${SL_DATA_DIR})
endif()
set_tests_properties(integration.scan_cli PROPERTIES
  TIMEOUT 300 PROCESSORS 1 LABELS "integration"
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;PYTHONUNBUFFERED=1")
