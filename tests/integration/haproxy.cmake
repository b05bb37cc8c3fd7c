# integration.haproxy: scripts/deploy/haproxy.cfg (Debian's haproxy) in front
# of two nodes, one killed mid-replay, spectators reconnecting through it; a
# node without Redis, one losing it and one hanging taken out by the health
# check; scripts/deploy/splitlined.service checked by systemd-analyze (issue
# 16).  About 40 s under ASan.
# Both programs are test-only packages of scripts/lib/packages.txt; without
# them the test fails, saying so.
find_program(SL_HAPROXY haproxy PATHS /usr/sbin /usr/local/sbin)
find_program(SL_SYSTEMD_ANALYZE systemd-analyze PATHS /usr/bin /bin)
sl_integration_test(haproxy TIMEOUT 600 PROCESSORS 2
  ARGS --haproxy ${SL_HAPROXY} --systemd-analyze ${SL_SYSTEMD_ANALYZE})
