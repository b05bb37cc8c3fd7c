# Fuzz drivers of the network front (see fuzz_ws.c and fuzz_door.c): the
# WebSocket message handlers with a fake store and libwebsockets stubbed,
# the front door's scanner, and what the HTTP exports read from a request
# (export_req.c: paths, Accept-Encoding, If-None-Match).  The sources under test are compiled into
# the drivers so that they are instrumented; only lws's and libuv's headers
# are used (their libraries are not linked: the drivers stub what is called).
set(SL_NET_DIR ${CMAKE_SOURCE_DIR}/server/net)
set(SL_NET_WS_SOURCES)
foreach(f ws session roles fanout request h_session h_input h_checkin h_official h_token h_series)
  list(APPEND SL_NET_WS_SOURCES ${SL_NET_DIR}/${f}.c)
endforeach()
sl_add_fuzzer(fuzz_ws
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_ws.c ${SL_NET_WS_SOURCES}
          ${SL_CORE_FUZZ_SOURCES} ${CMAKE_SOURCE_DIR}/server/score/seriescfg.c
  LIBS slproto_fuzz PkgConfig::CRYPTO
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/ws)
sl_add_fuzzer(fuzz_door
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_door.c ${SL_NET_DIR}/door.c
  LIBS slproto_fuzz ${CMAKE_DL_LIBS}
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/door)
sl_add_fuzzer(fuzz_export_req
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_export_req.c ${SL_NET_DIR}/export_req.c
  LIBS slproto_fuzz
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/export_req)
if(SL_FUZZ)
  foreach(t fuzz_ws fuzz_door fuzz_export_req)
    target_include_directories(${t} PRIVATE ${CMAKE_SOURCE_DIR}/server ${SL_CORE_DIR}
      ${CMAKE_SOURCE_DIR}/server/score ${LWS_INCLUDE_DIRS} ${LIBUV_INCLUDE_DIRS}
      ${MSGPACK_INCLUDE_DIRS})
  endforeach()
endif()
