# scripts/lib/common.sh: helpers shared by scripts/run and friends (sourced).
# Assumes $root (the repo root) is set and `set -u` is on.

SL_PYTHON=/usr/bin/python3
[ -x "$SL_PYTHON" ] || SL_PYTHON=python3

# die MESSAGE: print to stderr and exit 1.
die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# find_bin BUILD_DIR NAME: the built executable NAME under BUILD_DIR.
find_bin() {
	local p
	p="$(find "$1" -type f -name "$2" -perm -u+x -not -path '*/CMakeFiles/*' 2>/dev/null | head -n1)"
	[ -n "$p" ] || die "'$2' was not built in '$1'"
	echo "$p"
}

# http_get URL: print the body, fail when nothing answers (no curl needed).
http_get() {
	"$SL_PYTHON" - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        sys.stdout.write(r.read().decode("utf-8", "replace"))
except urllib.error.HTTPError as e:
    sys.stdout.write(e.read().decode("utf-8", "replace"))
except OSError:
    sys.exit(1)
PY
}

# redis_ping PORT: true when a Redis answers PONG on 127.0.0.1:PORT.
redis_ping() {
	[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]
}

# wait_for SECONDS COMMAND...: retry COMMAND every 0.1 s until it succeeds.
wait_for() {
	local n=$(($1 * 10)); shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# alive PIDFILE: true when the pid in PIDFILE is a running process.
alive() {
	[ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}
