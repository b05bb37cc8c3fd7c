# integration.officials_doc: every sh example of docs/officials.md, as typed,
# against a real server (issue 12).
sl_integration_test(officials_doc TIMEOUT 600)
