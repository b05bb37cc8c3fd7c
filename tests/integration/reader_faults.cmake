# integration.reader_faults.*: timing hardware through faults (issue 4).
# Two emulated mats (start MYLAPS, 10K RaceResult) of 150 Chicago runners
# at 60x; one fault each, twice in the race: a reader SIGKILLed and
# restarted, the decoder's TCP link cut and restored (RaceResult gap fetch
# by number), splitlined SIGKILLed and restarted, Redis SIGKILLed and
# restarted.  Each fault is held until it has overlapped traffic (reads
# due while the link was down, passings not acked while the server was
# down) and the test checks that it did, then what the reader did about it.
# Nothing lost, nothing doubled.  About 45 s each.
foreach(fault reader-kill link-cut server-restart redis-restart)
  sl_integration_test(reader_faults.${fault} SCRIPT test_reader_faults.py TIMEOUT 600
                      PROCESSORS 2 TOOLS splitline-reader splitline-emu ARGS --fault ${fault})
endforeach()
