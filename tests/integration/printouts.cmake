# integration.printouts: results as PDF and XLSX, award lists and certificates
# as PDF (issue 17); pdftotext (poppler-utils) and python3-openpyxl read them.
sl_integration_test(printouts TIMEOUT 600)
# integration.printouts_boston: the results PDF of all of Boston 2015 (issue 17).
sl_integration_test(printouts_boston TIMEOUT 900 PROCESSORS 2)
