# integration.export_http: the HTTP exports shared per change, gzip, ETag and
# If-None-Match (issue 14).
sl_integration_test(export_http TIMEOUT 600)
