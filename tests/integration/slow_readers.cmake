# integration.slow_readers (issue 14): Boston 2015 replayed as fast as the
# server takes it while 2,000 spectators subscribe and never read, and one
# reads everything: the server's RSS stays under its baseline + 256 MB,
# every slow connection is closed with 4008 (the close frame is the last
# thing each one reads), the reading client gets every update in order in
# frames of bounded size, and RSS comes back near the baseline once the
# slow ones are gone; /health latency during the flood is logged.  About
# 60 s under ASan; 2 processors (the server and the replay are busy).
sl_integration_test(slow_readers TIMEOUT 600 PROCESSORS 2)
# integration.spectator_window (issue 14): a spectator (no token, or a
# spectator token; msgpack or JSON) asking for limit 0 or more than 1000
# rows gets 1000, and the ok says so; 1000 or fewer as asked; finishes/
# keeps its last 50; an official and the admin get every row.  About 15 s.
sl_integration_test(spectator_window TIMEOUT 300)
