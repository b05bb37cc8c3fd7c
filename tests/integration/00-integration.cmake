# (Named 00-… so that it is included before the other fragments here, which use SL_PYTHON.)
# Integration tests: real redis-server (scripts/redis.conf on a free port and
# a temporary dir), the real splitlined, CLI and replay, over the real wire.
# Python 3 with python3-websockets and python3-msgpack (scripts/setup).
# The binaries' paths reach the scripts as arguments (generator expressions),
# so any build directory works.

set(SL_INTEGRATION_DIR "${CMAKE_CURRENT_LIST_DIR}")

# Debian's python3 has the packages scripts/setup installs; a python3 earlier
# on PATH (pyenv, a venv) may not.
if(NOT SL_PYTHON)
  foreach(cand /usr/bin/python3 python3)
    execute_process(COMMAND ${cand} -c "import websockets, msgpack"
                    RESULT_VARIABLE _sl_py_rc OUTPUT_QUIET ERROR_QUIET)
    if(_sl_py_rc EQUAL 0)
      set(SL_PYTHON ${cand} CACHE FILEPATH "python3 with websockets and msgpack")
      break()
    endif()
  endforeach()
endif()
find_program(SL_REDIS_SERVER redis-server PATHS /usr/bin /usr/local/bin)

# name, timeout (s), processors, extra args
set(SL_INTEGRATION_TESTS
  "boston_e2e|1800|2|"
  "idempotency|300|1|"
  "restart|900|2|"
  "redis_outage|900|2|"
  "live_push|600|1|"
  "bad_input|300|1|")

set(_sl_missing "")
foreach(t splitlined splitline splitline-replay)
  if(NOT TARGET ${t})
    list(APPEND _sl_missing ${t})
  endif()
endforeach()

foreach(spec ${SL_INTEGRATION_TESTS})
  string(REPLACE "|" ";" spec "${spec}")
  list(GET spec 0 name)
  list(GET spec 1 timeout)
  list(GET spec 2 procs)
  if(NOT SL_PYTHON)
    # Fail loudly rather than skip: a missing test is a failing test.
    add_test(NAME integration.${name}
             COMMAND sh -c "echo 'no python3 with websockets and msgpack: run scripts/setup'; exit 1")
  elseif(_sl_missing)
    add_test(NAME integration.${name}
             COMMAND sh -c "echo 'targets not built: ${_sl_missing}'; exit 1")
  else()
    add_test(NAME integration.${name}
             COMMAND ${SL_PYTHON} ${SL_INTEGRATION_DIR}/test_${name}.py
                     --server $<TARGET_FILE:splitlined>
                     --ctl $<TARGET_FILE:splitline>
                     --replay $<TARGET_FILE:splitline-replay>
                     --redis-server ${SL_REDIS_SERVER}
                     --source-dir ${CMAKE_SOURCE_DIR}
                     --data-dir ${SL_DATA_DIR})
  endif()
  set_tests_properties(integration.${name} PROPERTIES
    TIMEOUT ${timeout} PROCESSORS ${procs} LABELS "integration"
    ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;PYTHONUNBUFFERED=1")
endforeach()
