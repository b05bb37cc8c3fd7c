# integration.scan_cli (issue 5): splitline-scan's finish-tap mode (taps
# timed to the ms, bibs attached in order, undo/skip, a SIGKILL with taps
# waiting, a server outage) and pickup mode (two desks assigning bibs from a
# race's bib_pool concurrently, chips paired at the desk crediting the right
# athletes at the mats), plus labels of registrations (SVG and PDF), on a
# small event written by the test.  About 10 s under ASan.
sl_integration_test(scan_cli TIMEOUT 300 TOOLS splitline-scan)
