#!/bin/sh
# integration.reader_names: splitline-reader refuses a --device or --point
# outside the name grammar (PROTOCOL.md "Names") before it opens anything:
# exit 2 and a message naming the option, the value and the grammar.  A
# device of 64 characters passes (the next check, the point, is then the
# one that fails).  usage: reader_names.sh PATH-TO-splitline-reader
r=$1
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
fails=0
d64=$(printf 'd%.0s' $(seq 64))
# expect RC TEXT ARGS...: the reader exits RC and says TEXT
expect() {
	want_rc=$1 want=$2
	shift 2
	out=$("$r" --protocol jchip --journal "$d/j" "$@" 2>&1)
	rc=$?
	if [ "$rc" != "$want_rc" ] || ! printf '%s' "$out" | grep -qF -- "$want"; then
		echo "FAIL: $*: exit $rc (want $want_rc), said: $out (want: $want)"
		fails=$((fails + 1))
	else
		echo "ok: $*: $want"
	fi
	[ ! -e "$d/j" ] || { echo "FAIL: $*: the journal was opened"; fails=$((fails + 1)); }
}
expect 2 "--device 'mat:5k': expected 1 to 64 letters" --point finish --device mat:5k
expect 2 "--device '.hidden': expected" --point finish --device .hidden
expect 2 "--device '../x': expected" --point finish --device ../x
expect 2 "--device '${d64}d': expected 1 to 64" --point finish --device "${d64}d"
expect 2 "--point 'fin:ish': expected 1 to 64 letters, digits, '-', '_', '.' or '+'" --point fin:ish --device "$d64"
[ "$fails" = 0 ] && echo "reader_names: passed" || { echo "reader_names: $fails failed"; exit 1; }
