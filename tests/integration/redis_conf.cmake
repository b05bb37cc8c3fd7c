# integration.redis_conf: scripts/redis.conf from any directory, with the
# command lines its own comment shows.
sl_integration_test(redis_conf TIMEOUT 120)
