# integration.replay: splitline-replay as its user sees it, on the first 300
# runners of Boston 2015 plus bib 3820 (a bad 'Official Time' cell): --count
# against the file, the progress line on a pseudo-terminal, the bad-cell
# warning and the "will never finish" summary, the export, --resume-after
# (only the later seqs reach the log, the same reads as a whole run) and its
# nothing-to-send case, a run past what the server has, and bad option
# values.  About 5 s under ASan.
sl_integration_test(replay TIMEOUT 300)
