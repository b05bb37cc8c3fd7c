# Browser tests of clients/web, run by node's test runner (node --test).
#   browser.board       the page's data model (clients/web/board.js) under node
#   browser.scoreboard  the page in real headless Chromium (Debian's
#                       /usr/bin/chromium, driven by npm playwright-core)
#                       against real Redis + splitlined + a small replay
#   browser.project     the tracker's and announcer's projections
#                       (clients/web/project.js) against a hand-computed fixture
#   browser.eventinfo   what the pages read from the event topic (event.js)
#                       and the status topic's per-race counts, under node
#   browser.eventtopic  board, tracker, announcer and kiosk on the event
#                       topic in headless Chromium: point names in the
#                       board's heads, gun projections following a wave start
#   browser.scancam     the scanner page's camera: Chromium's fake camera
#                       plays a QR code (Y4M written by the test), decoded and
#                       checked in
#   browser.desk        the desk's bib/chip assignment, swap and audit trail
#   browser.volunteer   scanner and desk for volunteers: sentences, never
#                       codes; a bad token's full-screen stop; namesakes told
#                       apart at the desk; 390 and 1920 px
#   browser.screens     big screen and announcer mid-race at 390 and 1920 px
#   browser.words       every check-in code of PROTOCOL.md as a sentence
#                       (clients/web/words.js), under node
#   browser.timezone    clock times in the event's time zone in a browser
#                       running in another (Asia/Tokyo)
#   browser.eventlist   the event directory's model (clients/web/eventlist.js:
#                       grouping, order, search, "when" across time zones,
#                       links) and the pages' event scope (protocol.js
#                       pageScope), under node
#   browser.directory   the event directory and an event's page under
#                       /e/<event>/ on a server of many events, at 390 and
#                       1920 px
#   browser.charts      the athlete page's charts and the name search
#                       (charts.js, names.js) under node
#   browser.athlete     athlete page, name search, charts, course, links and
#                       the spectator pages' layouts at 390 and 1920 px
#   browser.regattabig  the regatta page on the whole Boston field: windowed
#   browser.regattabound  the regatta page's bound: 150 crews drawn whole, 151 windowed
#   browser.series      the series standings page and a race's teams and
#                       awards page on a server of many events (three events
#                       and a series, hand-computed), a DQ moving them live,
#                       at 390 and 1920 px
#   browser.pages       tracker, announcer and kiosk in headless Chromium
#                       (same harness, tests/browser/harness.mjs); screenshots
#                       of every page in <build>/browser-shots
# playwright-core and qrcode-generator come from tests/browser/package-lock.json,
# jsqr (served to the scanner page) from clients/web/package-lock.json: the
# fixture browser.npm_ci installs them into the node_modules beside each
# (ignored by git) when missing.  Needs Debian's nodejs, npm and chromium (scripts/setup);
# the scoreboard test skips, saying so, only when chromium is missing.

set(SL_BROWSER_DIR "${CMAKE_CURRENT_LIST_DIR}")
find_program(SL_NODE node PATHS /usr/bin /usr/local/bin)
find_program(SL_NPM npm PATHS /usr/bin /usr/local/bin)
find_program(SL_REDIS_SERVER redis-server PATHS /usr/bin /usr/local/bin)

if(NOT SL_NODE OR NOT SL_NPM)
  foreach(name board project eventinfo scoreboard pages eventtopic checkin regatta scancam desk series
          timezone volunteer words screens athlete charts regattabig regattabound eventlist directory)
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

add_test(NAME browser.words
         COMMAND ${SL_NODE} --test ${SL_BROWSER_DIR}/words.test.mjs)
set_tests_properties(browser.words PROPERTIES LABELS "browser" TIMEOUT 120)
add_test(NAME browser.charts
         COMMAND ${SL_NODE} --test ${SL_BROWSER_DIR}/charts.test.mjs)
set_tests_properties(browser.charts PROPERTIES LABELS "browser" TIMEOUT 120)

add_test(NAME browser.eventlist
         COMMAND ${SL_NODE} --test ${SL_BROWSER_DIR}/eventlist.test.mjs)
set_tests_properties(browser.eventlist PROPERTIES LABELS "browser" TIMEOUT 120)

add_test(NAME browser.eventinfo
         COMMAND ${SL_NODE} --test ${SL_BROWSER_DIR}/eventinfo.test.mjs)
set_tests_properties(browser.eventinfo PROPERTIES LABELS "browser" TIMEOUT 120)

# Also clients/web's own npm packages (jsqr, which the scanner page loads from
# clients/web/node_modules at run time; qrcode-generator, the share QR codes).
add_test(NAME browser.npm_ci
         COMMAND sh -c "{ test -f node_modules/playwright-core/package.json && test -f node_modules/qrcode-generator/package.json || '${SL_NPM}' ci --no-audit --no-fund --loglevel=error; } && cd '${CMAKE_SOURCE_DIR}/clients/web' && { test -f node_modules/jsqr/package.json && test -f node_modules/qrcode-generator/package.json || '${SL_NPM}' ci --no-audit --no-fund --loglevel=error; }"
         WORKING_DIRECTORY ${SL_BROWSER_DIR})
set_tests_properties(browser.npm_ci PROPERTIES LABELS "browser" TIMEOUT 600
  FIXTURES_SETUP sl_browser_npm)

# sl_browser_test(NAME SCRIPT TIMEOUT TARGET...): one Playwright test in
# headless Chromium against real Redis and the real binaries named (their
# paths reach the script as SL_*_BIN); a target not built is a failing test.
function(sl_browser_test name script timeout)
  set(missing "")
  set(bins "")
  foreach(t ${ARGN})
    if(NOT TARGET ${t})
      list(APPEND missing ${t})
    elseif(t STREQUAL "splitlined")
      list(APPEND bins SL_SERVER_BIN=$<TARGET_FILE:splitlined>)
    elseif(t STREQUAL "splitline")
      list(APPEND bins SL_CTL_BIN=$<TARGET_FILE:splitline>)
    elseif(t STREQUAL "splitline-replay")
      list(APPEND bins SL_REPLAY_BIN=$<TARGET_FILE:splitline-replay>)
    elseif(t STREQUAL "splitline-regatta")
      list(APPEND bins SL_REGATTA_BIN=$<TARGET_FILE:splitline-regatta>)
    endif()
  endforeach()
  if(missing)
    add_test(NAME browser.${name} COMMAND sh -c "echo 'targets not built: ${missing}'; exit 1")
  else()
    add_test(NAME browser.${name}
             COMMAND ${CMAKE_COMMAND} -E env ${bins}
                     SL_REDIS_SERVER=${SL_REDIS_SERVER}
                     SL_SOURCE_DIR=${CMAKE_SOURCE_DIR}
                     SL_DATA_DIR=${SL_DATA_DIR}
                     SL_BROWSER_SHOTS=${CMAKE_BINARY_DIR}/browser-shots
                     ${SL_NODE} --test ${SL_BROWSER_DIR}/${script}
             WORKING_DIRECTORY ${SL_BROWSER_DIR})
  endif()
  set_tests_properties(browser.${name} PROPERTIES LABELS "browser" TIMEOUT ${timeout}
    PROCESSORS 2 FIXTURES_REQUIRED sl_browser_npm
    SKIP_REGULAR_EXPRESSION "browser test skipped")
endfunction()

# The leaderboard following a replay, reconnecting, filters, the full list.
sl_browser_test(scoreboard scoreboard.test.mjs 600 splitlined splitline splitline-replay)
# Tracker, announcer (against a fixture computed from the export), kiosk.
sl_browser_test(pages pages.test.mjs 600 splitlined splitline splitline-replay)
# The event topic on the pages: split columns named by the config, race and
# category names, gun-time projections moving with a wave_start, per-race
# counts on the kiosk.
sl_browser_test(eventtopic eventtopic.test.mjs 300 splitlined splitline)
# The check-in scanner and desk: a check-in, a duplicate warning, an offline
# scan queued and synced after the network returns, the desk's counts.
sl_browser_test(checkin checkin.test.mjs 300 splitlined splitline)
# The regatta page on Hebda 2023: race 16's published places, times and 10 s
# penalty, a penalty sent with `splitline adjust` moving a crew live, the
# final's line-up from its heats, no race scrolling sideways at 390 px.
sl_browser_test(regatta regatta.test.mjs 300 splitlined splitline splitline-regatta)
# The scanner's camera: a QR code from Chromium's fake camera checks an athlete
# in (jsQR without BarcodeDetector); one scan while it stays in view; no camera.
sl_browser_test(scancam scancam.test.mjs 300 splitlined splitline)
# The desk at pickup: next free bib from the pool (twice), a chip paired, a
# swap in the audit trail, bib_taken.
sl_browser_test(desk desk.test.mjs 300 splitlined splitline)
# Clock times (tracker splits, the finish feed) in the event's time zone while
# the browser runs in another; the viewer's own without one.
sl_browser_test(timezone timezone.test.mjs 300 splitlined splitline)
# Scanner and desk as volunteers meet them: sentences (no internal code on
# screen), a wrong or revoked token's full-screen stop, namesakes told apart,
# "showing 30 of 45", no sideways scrolling at 390 and 1920 px.
sl_browser_test(volunteer volunteer.test.mjs 300 splitlined splitline)
# The big screen and the announcer at 390 and 1920 px mid-race: women and men
# apart, only times in the TIME column, whole rows, projections called so.
sl_browser_test(screens screens.test.mjs 600 splitlined splitline splitline-replay)
# The series standings page (series.html) on a server of many events: the
# standings of test_series.py's three events as computed by hand, dropped
# results struck through, the duplicates for officials, the CSV link, shared
# places per sex, an event without results, a DQ reaching the open page
# within its poll, the server gone, no sideways scrolling at 390 px; s1's
# teams and awards page (teams.html) before and after the DQ.
sl_browser_test(series series.test.mjs 300 splitlined splitline)
# The athlete page (name search from nothing, charts with hand-computed values,
# the GPX course, follow, certificate and share links), the leaderboard's links,
# and the spectator pages at 390 and 1920 px.
sl_browser_test(athlete athlete.test.mjs 300 splitlined splitline)
# The regatta page on Boston 2015's whole field (26,598 rows): windowed, a
# delta touches only the rows it changed.
sl_browser_test(regattabig regattabig.test.mjs 600 splitlined splitline)
sl_browser_test(regattabound regattabound.test.mjs 300 splitlined splitline)
# The event directory on a server of many events (no --event): the empty
# state, events grouped by level with their state badges and links, search
# and "when" filters, a state changing live, the error state, no sideways
# scrolling at 390 px; an event's results page under /e/<event>/ showing that
# event's rows and fetching that event's API.
sl_browser_test(directory directory.test.mjs 300 splitlined splitline)
