# integration.decisions: officials' decisions through the CLI, the wire and the exports (issue 12).
sl_integration_test(decisions TIMEOUT 600)
