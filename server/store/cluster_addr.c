/*
 * cluster_addr.c: the pure half of store/cluster.h: the slot of a key and
 * the addresses of --redis.  No loop, no connection: unit-tested alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl.h"
#include "store/cluster.h"

/* ---- slots and addresses ------------------------------------------------- */

static uint16_t crc16(const unsigned char *p, size_t n)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = crc & 0x8000 ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

unsigned cluster_keyslot(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len), *close;

	if (open) {
		size_t rest = len - (size_t)(open - key) - 1;
		close = memchr(open + 1, '}', rest);
		if (close && close > open + 1) {
			key = open + 1;
			len = (size_t)(close - key);
		}
	}
	return crc16((const unsigned char *)key, len) & (CLUSTER_SLOTS - 1);
}

/* One HOST:PORT of [s, s + n): 0, or -1 with what is wrong. */
int cluster__addr_parse(const char *s, size_t n, char *host, size_t hostlen, int *port, char *err,
			size_t errlen)
{
	const char *colon = NULL;
	long v = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] == ':')
			colon = s + i;
	if (!colon || colon == s) {
		snprintf(err, errlen, "'%.*s' is not HOST:PORT", (int)n, s);
		return -1;
	}
	if ((size_t)(colon - s) >= hostlen) {
		snprintf(err, errlen, "host '%.*s' is too long", (int)(colon - s), s);
		return -1;
	}
	if (colon + 1 == s + n) {
		snprintf(err, errlen, "'%.*s' has no port", (int)n, s);
		return -1;
	}
	for (const char *p = colon + 1; p < s + n; p++) {
		if (*p < '0' || *p > '9' || v > 65535) {
			v = -1;
			break;
		}
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > 65535) {
		snprintf(err, errlen, "port '%.*s' of '%.*s' is not in 1..65535",
			 (int)(s + n - colon - 1), colon + 1, (int)n, s);
		return -1;
	}
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	*port = (int)v;
	return 0;
}

/* Calls each(ctx, host, port) per address; 0, or -1 with err. */
int cluster__addrs_each(const char *addrs, char *err, size_t errlen,
			void (*each)(void *ctx, const char *host, int port), void *ctx)
{
	const char *p = addrs;
	int count = 0;

	if (!*addrs) {
		snprintf(err, errlen, "no address");
		return -1;
	}
	for (;;) {
		size_t n = strcspn(p, ",");
		char host[256];
		int port;
		if (cluster__addr_parse(p, n, host, sizeof(host), &port, err, errlen) < 0)
			return -1;
		if (++count > CLUSTER_ADDRS_MAX) {
			snprintf(err, errlen, "more than %d addresses", CLUSTER_ADDRS_MAX);
			return -1;
		}
		if (each)
			each(ctx, host, port);
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

int cluster_addrs_check(const char *addrs, char *err, size_t errlen)
{
	return cluster__addrs_each(addrs, err, errlen, NULL, NULL);
}
