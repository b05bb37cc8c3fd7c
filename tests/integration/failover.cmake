# integration.failover.*: one fault each, on a local Redis Cluster (3+3, node
# timeout 2 s) under one splitlined --redis <seeds> (--redis-wait 1): the
# event's primary killed (kill9) or SIGSTOPped past the node timeout
# (partition) mid-replay, its slot moved to another primary mid-replay
# (reshard): the replay finishes by itself, every acked read in the log once,
# the export byte-identical to a clean run.  replica-down: no ack while the
# primary has no replica, acked once it is back; --redis-wait 2 and 0.
# Six redis-servers, splitlined and a replay at once: PROCESSORS 2.
foreach(case kill9 partition reshard replica-down)
  sl_integration_test(failover.${case} SCRIPT test_failover.py TIMEOUT 400 PROCESSORS 2
                      ARGS --case ${case})
endforeach()
