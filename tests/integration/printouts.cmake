# integration.printouts: results as PDF and XLSX, award lists and certificates
# as PDF (issue 17); pdftotext (poppler-utils) and python3-openpyxl read them.
sl_integration_test(printouts TIMEOUT 600)
