# integration.import_headers (issue 12): the issue's participants file
# (First Name, Last Name, Gender, Date of Birth, Chip, and columns nothing
# imports) through the real CLI: refusals of files without a bib or a name
# column, the --dry-run account of the columns, and the server's export
# with every name, sex, age and chip.  A few seconds under ASan.
sl_integration_test(import_headers TIMEOUT 300)
