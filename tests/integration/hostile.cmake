# integration.hostile (issue 11): a reference stack fed only the legitimate
# steps and a hostile stack fed the same steps plus every attack (revoked
# tokens on one node and across two, writes in another device's name, seq
# and time bounds, a frozen Redis, a flood at the open-file limit, broken
# WebSocket frames and oversized HTTP heads, formula cells in CSV, topics a
# device may not follow); after each attack both results exports are byte
# for byte the same and the log holds exactly what was acknowledged.
sl_integration_test(hostile TIMEOUT 900 PROCESSORS 2)
