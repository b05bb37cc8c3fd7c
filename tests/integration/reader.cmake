# integration.chicago: emulated timing hardware (splitline-emu) on four mats,
# one protocol each, through splitline-reader into splitlined; splits must
# equal chicago-2023-mats.csv to the second.  Race time runs 40x: about
# 4 minutes of wall time, more under sanitizers.
sl_integration_test(chicago TIMEOUT 1200 PROCESSORS 2 TOOLS splitline-reader splitline-emu)

# integration.reader_names: the reader refuses a device or point outside the
# name grammar before it opens its journal (exit 2, the option and grammar named).
if(TARGET splitline-reader)
  add_test(NAME integration.reader_names
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/reader_names.sh $<TARGET_FILE:splitline-reader>)
  set_tests_properties(integration.reader_names PROPERTIES LABELS integration TIMEOUT 60)
endif()
