# integration.checkin (issue 5): the whole Boston 2015 field checked in by
# four splitline-scan processes, two of them through a TCP proxy that goes
# down and comes back; exact counts, one check-in per athlete, duplicates
# and unknown codes warned; revoked and point-scoped scanner tokens; a
# handheld passing filling a missed mat read.  About 20 s under ASan.
sl_integration_test(checkin TIMEOUT 600 PROCESSORS 2 TOOLS splitline-scan)
