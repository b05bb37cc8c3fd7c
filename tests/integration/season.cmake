# integration.season: one splitlined without --event serves three events created
# at runtime (a road race, a community race, a regatta): their own results,
# tokens that do not cross events, idle unloads, a restart byte-identical.
sl_integration_test(season TIMEOUT 900 PROCESSORS 2 TOOLS splitline-regatta)
