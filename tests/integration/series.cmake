# integration.series: a series over three events (points, best 2 of 3, ties, a
# duplicate), team scores and award lists over HTTP, computed by hand; a DQ moves them.
sl_integration_test(series TIMEOUT 600)
