# integration.pickup (issue 5): bibs from a pool at four desks at once,
# chips paired, swap, transfer, undo and the audit trail, roles, and two
# restarts (snapshot, whole log) giving the same state.  About 30 s.
sl_integration_test(pickup TIMEOUT 600 PROCESSORS 2)
