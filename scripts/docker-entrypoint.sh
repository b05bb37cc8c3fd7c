#!/bin/sh
# Entry point of the Docker image: run splitlined against the Redis named by
# REDIS_ADDR (HOST:PORT, or a Redis Cluster's seed nodes
# HOST:PORT,HOST:PORT,...).  The admin token comes from a file
# (SPLITLINE_ADMIN_TOKEN_FILE, e.g. a Docker secret) or from
# SPLITLINE_ADMIN_TOKEN, written to a private file; with neither, one is
# generated and printed once.  Extra arguments go to splitlined.
set -eu

token_file="${SPLITLINE_ADMIN_TOKEN_FILE:-}"
if [ -z "$token_file" ]; then
	token_file="${HOME:-/tmp}/admin.token"
	umask 077
	if [ -n "${SPLITLINE_ADMIN_TOKEN:-}" ]; then
		printf '%s\n' "$SPLITLINE_ADMIN_TOKEN" >"$token_file"
	elif [ ! -s "$token_file" ]; then
		od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$token_file"
		echo >>"$token_file"
		echo "splitline: generated admin token: $(cat "$token_file")" >&2
	fi
fi

exec splitlined --event "$SPLITLINE_EVENT" --listen 0.0.0.0 --port "${SPLITLINE_PORT:-8080}" \
	--redis "$REDIS_ADDR" --admin-token-file "$token_file" \
	--web-root "${SPLITLINE_WEB_ROOT:-/usr/local/share/splitline/web}" "$@"
