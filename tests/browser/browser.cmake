# Browser tests of clients/web, run by node's test runner (node --test).
#   browser.board       the page's data model (clients/web/board.js) under node
#   browser.scoreboard  the page in real headless Chromium (Debian's
#                       /usr/bin/chromium, driven by npm playwright-core)
#                       against real Redis + splitlined + a small replay
#   browser.project     the tracker's and announcer's projections
#                       (clients/web/project.js) against a hand-computed fixture
#   browser.pages       tracker, announcer and kiosk in headless Chromium
#                       (same harness, tests/browser/harness.mjs); screenshots
#                       of every page in <build>/browser-shots
# playwright-core comes from tests/browser/package-lock.json: the fixture
# browser.npm_ci installs it into tests/browser/node_modules (ignored by git)
# when it is missing.  Needs Debian's nodejs, npm and chromium (scripts/setup);
# the scoreboard test skips, saying so, only when chromium is missing.

set(SL_BROWSER_DIR "${CMAKE_CURRENT_LIST_DIR}")
find_program(SL_NODE node PATHS /usr/bin /usr/local/bin)
find_program(SL_NPM npm PATHS /usr/bin /usr/local/bin)
find_program(SL_REDIS_SERVER redis-server PATHS /usr/bin /usr/local/bin)

if(NOT SL_NODE OR NOT SL_NPM)
  foreach(name board project scoreboard pages)
    add_test(NAME browser.${name}
             COMMAND sh -c "echo 'node and npm not found: run scripts/setup (nodejs, npm)'; exit 1")
    set_tests_properties(browser.${name} PROPERTIES LABELS "browser")
  endforeach()
  return()
endif()

add_test(NAME browser.board
         COMMAND ${SL_NODE} --test ${SL_BROWSER_DIR}/board.test.mjs)
set_tests_properties(browser.board PROPERTIES LABELS "browser" TIMEOUT 120)

add_test(NAME browser.project
         COMMAND ${SL_NODE} --test ${SL_BROWSER_DIR}/project.test.mjs)
set_tests_properties(browser.project PROPERTIES LABELS "browser" TIMEOUT 120)

add_test(NAME browser.npm_ci
         COMMAND sh -c "test -f node_modules/playwright-core/package.json || '${SL_NPM}' ci --no-audit --no-fund --loglevel=error"
         WORKING_DIRECTORY ${SL_BROWSER_DIR})
set_tests_properties(browser.npm_ci PROPERTIES LABELS "browser" TIMEOUT 600
  FIXTURES_SETUP sl_browser_npm)

set(_sl_browser_missing "")
foreach(t splitlined splitline splitline-replay)
  if(NOT TARGET ${t})
    list(APPEND _sl_browser_missing ${t})
  endif()
endforeach()

if(_sl_browser_missing)
  # A missing test is a failing test.
  add_test(NAME browser.scoreboard
           COMMAND sh -c "echo 'targets not built: ${_sl_browser_missing}'; exit 1")
  add_test(NAME browser.pages
           COMMAND sh -c "echo 'targets not built: ${_sl_browser_missing}'; exit 1")
else()
  add_test(NAME browser.scoreboard
           COMMAND ${CMAKE_COMMAND} -E env
                   SL_SERVER_BIN=$<TARGET_FILE:splitlined>
                   SL_CTL_BIN=$<TARGET_FILE:splitline>
                   SL_REPLAY_BIN=$<TARGET_FILE:splitline-replay>
                   SL_REDIS_SERVER=${SL_REDIS_SERVER}
                   SL_SOURCE_DIR=${CMAKE_SOURCE_DIR}
                   SL_DATA_DIR=${SL_DATA_DIR}
                   SL_BROWSER_SHOTS=${CMAKE_BINARY_DIR}/browser-shots
                   ${SL_NODE} --test ${SL_BROWSER_DIR}/scoreboard.test.mjs
           WORKING_DIRECTORY ${SL_BROWSER_DIR})
  add_test(NAME browser.pages
           COMMAND ${CMAKE_COMMAND} -E env
                   SL_SERVER_BIN=$<TARGET_FILE:splitlined>
                   SL_CTL_BIN=$<TARGET_FILE:splitline>
                   SL_REPLAY_BIN=$<TARGET_FILE:splitline-replay>
                   SL_REDIS_SERVER=${SL_REDIS_SERVER}
                   SL_SOURCE_DIR=${CMAKE_SOURCE_DIR}
                   SL_DATA_DIR=${SL_DATA_DIR}
                   SL_BROWSER_SHOTS=${CMAKE_BINARY_DIR}/browser-shots
                   ${SL_NODE} --test ${SL_BROWSER_DIR}/pages.test.mjs
           WORKING_DIRECTORY ${SL_BROWSER_DIR})
endif()
set_tests_properties(browser.pages PROPERTIES LABELS "browser" TIMEOUT 600 PROCESSORS 2
  FIXTURES_REQUIRED sl_browser_npm
  SKIP_REGULAR_EXPRESSION "browser test skipped")
set_tests_properties(browser.scoreboard PROPERTIES LABELS "browser" TIMEOUT 600 PROCESSORS 2
  FIXTURES_REQUIRED sl_browser_npm
  SKIP_REGULAR_EXPRESSION "browser test skipped")

# browser.checkin: the check-in scanner (scan.html) and desk (desk.html) in
# headless Chromium against real Redis + splitlined (tests/browser/checkin.test.mjs):
# a check-in, a duplicate warning, an offline scan queued and synced after
# the network returns, the desk's counts; screenshots in <build>/browser-shots.
if(TARGET splitlined AND TARGET splitline)
  add_test(NAME browser.checkin
           COMMAND ${CMAKE_COMMAND} -E env
                   SL_SERVER_BIN=$<TARGET_FILE:splitlined>
                   SL_CTL_BIN=$<TARGET_FILE:splitline>
                   SL_REDIS_SERVER=${SL_REDIS_SERVER}
                   SL_SOURCE_DIR=${CMAKE_SOURCE_DIR}
                   SL_DATA_DIR=${SL_DATA_DIR}
                   SL_BROWSER_SHOTS=${CMAKE_BINARY_DIR}/browser-shots
                   ${SL_NODE} --test ${SL_BROWSER_DIR}/checkin.test.mjs
           WORKING_DIRECTORY ${SL_BROWSER_DIR})
else()
  add_test(NAME browser.checkin
           COMMAND sh -c "echo 'targets not built: splitlined splitline'; exit 1")
endif()
set_tests_properties(browser.checkin PROPERTIES LABELS "browser" TIMEOUT 300 PROCESSORS 2
  FIXTURES_REQUIRED sl_browser_npm
  SKIP_REGULAR_EXPRESSION "browser test skipped")

# browser.regatta: the regatta page (regatta.html) in headless Chromium against
# real Redis + splitlined, Hebda 2023 loaded by splitline-regatta import and
# replay (tests/browser/regatta.test.mjs): race 16's published places, times
# and 10 s penalty, a penalty sent with `splitline adjust` moving a crew live,
# the final's line-up from its heats; screenshots in <build>/browser-shots.
if(TARGET splitlined AND TARGET splitline AND TARGET splitline-regatta)
  add_test(NAME browser.regatta
           COMMAND ${CMAKE_COMMAND} -E env
                   SL_SERVER_BIN=$<TARGET_FILE:splitlined>
                   SL_CTL_BIN=$<TARGET_FILE:splitline>
                   SL_REGATTA_BIN=$<TARGET_FILE:splitline-regatta>
                   SL_REDIS_SERVER=${SL_REDIS_SERVER}
                   SL_SOURCE_DIR=${CMAKE_SOURCE_DIR}
                   SL_DATA_DIR=${SL_DATA_DIR}
                   SL_BROWSER_SHOTS=${CMAKE_BINARY_DIR}/browser-shots
                   ${SL_NODE} --test ${SL_BROWSER_DIR}/regatta.test.mjs
           WORKING_DIRECTORY ${SL_BROWSER_DIR})
else()
  add_test(NAME browser.regatta
           COMMAND sh -c "echo 'targets not built: splitlined splitline splitline-regatta'; exit 1")
endif()
set_tests_properties(browser.regatta PROPERTIES LABELS "browser" TIMEOUT 300 PROCESSORS 2
  FIXTURES_REQUIRED sl_browser_npm
  SKIP_REGULAR_EXPRESSION "browser test skipped")
