# integration.deploy_doc: every sh example of docs/deploy.md, as typed: two
# nodes and haproxy (scripts/deploy/haproxy.cfg) on one machine, one node
# killed (issue 16).  SL_HAPROXY comes from haproxy.cmake.
find_program(SL_HAPROXY haproxy PATHS /usr/sbin /usr/local/sbin)
sl_integration_test(deploy_doc TIMEOUT 300 ARGS --haproxy ${SL_HAPROXY})
