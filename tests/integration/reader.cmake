# integration.chicago: emulated timing hardware (splitline-emu) on four mats,
# one protocol each, through splitline-reader into splitlined; splits must
# equal chicago-2023-mats.csv to the second.  Race time runs 40x: about
# 4 minutes of wall time, more under sanitizers.
sl_integration_test(chicago TIMEOUT 1200 PROCESSORS 2 TOOLS splitline-reader splitline-emu)
