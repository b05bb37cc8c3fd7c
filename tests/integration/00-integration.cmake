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

# sl_integration_test(<name> [SCRIPT test_x.py] [TIMEOUT s] [PROCESSORS n]
#                     [TOOLS target ...] [ARGS arg ...])
# registers integration.<name>: SCRIPT (default test_<name>.py) run by
# SL_PYTHON with the paths of splitlined, splitline, splitline-replay and the
# TOOLS targets (--server --ctl --replay, then --scan --regatta --reader
# --emu), redis-server, the source and data dirs, then ARGS.  Without a
# usable python or a target the test fails, saying why: a missing test is
# a failing test.
set(SL_TOOL_FLAG_splitlined --server)
set(SL_TOOL_FLAG_splitline --ctl)
set(SL_TOOL_FLAG_splitline-replay --replay)
set(SL_TOOL_FLAG_splitline-scan --scan)
set(SL_TOOL_FLAG_splitline-regatta --regatta)
set(SL_TOOL_FLAG_splitline-reader --reader)
set(SL_TOOL_FLAG_splitline-emu --emu)

function(sl_integration_test name)
  cmake_parse_arguments(T "" "SCRIPT;TIMEOUT;PROCESSORS" "TOOLS;ARGS" ${ARGN})
  if(NOT T_SCRIPT)
    set(T_SCRIPT test_${name}.py)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  if(NOT T_PROCESSORS)
    set(T_PROCESSORS 1)
  endif()
  set(tools splitlined splitline splitline-replay ${T_TOOLS})
  set(missing "")
  set(args "")
  foreach(t ${tools})
    if(NOT TARGET ${t})
      list(APPEND missing ${t})
    endif()
    list(APPEND args ${SL_TOOL_FLAG_${t}} $<TARGET_FILE:${t}>)
  endforeach()
  if(NOT SL_PYTHON)
    add_test(NAME integration.${name}
             COMMAND sh -c "echo 'no python3 with websockets and msgpack: run scripts/setup'; exit 1")
  elseif(missing)
    add_test(NAME integration.${name}
             COMMAND sh -c "echo 'targets not built: ${missing}'; exit 1")
  else()
    add_test(NAME integration.${name}
             COMMAND ${SL_PYTHON} ${SL_INTEGRATION_DIR}/${T_SCRIPT} ${args}
                     --redis-server ${SL_REDIS_SERVER}
                     --source-dir ${CMAKE_SOURCE_DIR}
                     --data-dir ${SL_DATA_DIR} ${T_ARGS})
  endif()
  set_tests_properties(integration.${name} PROPERTIES
    TIMEOUT ${T_TIMEOUT} PROCESSORS ${T_PROCESSORS} LABELS "integration"
    ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;PYTHONUNBUFFERED=1")
endfunction()

# The spine's tests (the other fragments here add their own).
sl_integration_test(boston_e2e TIMEOUT 1800 PROCESSORS 2)
sl_integration_test(idempotency TIMEOUT 300)
sl_integration_test(restart TIMEOUT 900 PROCESSORS 2)
sl_integration_test(redis_outage TIMEOUT 900 PROCESSORS 2)
sl_integration_test(live_push TIMEOUT 600)
sl_integration_test(bad_input TIMEOUT 300)
sl_integration_test(nodes TIMEOUT 300 PROCESSORS 2)
