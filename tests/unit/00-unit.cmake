# sl_unit_test(NAME TARGET [TIMEOUT seconds] [ARGS arg...]): registers the
# unit test program TARGET as the ctest `unit.NAME` (the one naming scheme:
# <kind>.<name>, as browser.*, fuzz.* and integration.*), labelled unit,
# with tests/unit/t.h's skip status (77) reported as a skip.  Default
# timeout 60 s.
function(sl_unit_test name target)
  cmake_parse_arguments(U "" "TIMEOUT" "ARGS" ${ARGN})
  if(NOT U_TIMEOUT)
    set(U_TIMEOUT 60)
  endif()
  add_test(NAME unit.${name} COMMAND ${target} ${U_ARGS})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT ${U_TIMEOUT}
    SKIP_RETURN_CODE 77)
endfunction()
