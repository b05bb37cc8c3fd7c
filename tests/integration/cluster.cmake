# integration.cluster: three events on the three primaries of a local Redis
# Cluster (scripts/cluster: 3 primaries + 3 replicas), replayed through one
# splitlined --redis <seeds>: results byte-identical to a single Redis, each
# log on its own primary only; a dead seed, bad --redis values, every seed
# dead at start.  Two clusters and a single Redis in turn: PROCESSORS 2.
sl_integration_test(cluster TIMEOUT 400 PROCESSORS 2)
# integration.cluster_script: scripts/cluster itself (no splitlined): start,
# status, refusals (a second start, bad arguments, a busy --port), a killed
# node seen and started again, stop, a 1-primary cluster.
sl_integration_test(cluster_script TIMEOUT 240 PROCESSORS 2)
