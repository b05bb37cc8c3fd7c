# integration.fresh_clone: the README's two commands from a clone of the
# repository with nothing beside it (issue 10): ./scripts/run refuses bad
# inputs before building, --demo builds build/release in the clone, serves
# every page, replays Boston 2015 until runners finish, resumes after
# Ctrl-C, and every `sh` example of the README runs as typed.  Builds a
# release tree of its own: several minutes, both cores.
sl_integration_test(fresh_clone TIMEOUT 3000 PROCESSORS 2)
