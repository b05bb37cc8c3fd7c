# integration.regatta: the three regatta exports through splitline-regatta
# (import, then replay of the station readings as devices) into splitlined;
# every entry's raw time, adjusted time, place and status must equal the
# published ones to the millisecond.  A few seconds.
sl_integration_test(regatta TIMEOUT 600 TOOLS splitline-regatta)
