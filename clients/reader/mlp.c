/*
 * mlp.c: MYLAPS exporter messages (see mlp.h).  Pure except for m->reads.
 */
#include "mlp.h"

#include <stdlib.h>
#include <string.h>

static bool eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

void mlp_msg_release(mlp_msg *m)
{
	free(m->reads);
	m->reads = NULL;
	m->nreads = m->cap = 0;
}

static int parse_record(const char *s, size_t n, rdr_raw *r, bool marker, char *err,
			size_t errlen)
{
	rdr_raw_init(r);
	bool have_c = false, have_t = false;
	size_t i = 0;
	while (i <= n) {
		const char *kv = s + i;
		const char *bar = memchr(kv, '|', n - i);
		size_t len = bar ? (size_t)(bar - kv) : n - i;
		const char *eqs = memchr(kv, '=', len);
		if (len && eqs) {
			size_t kl = (size_t)(eqs - kv), vl = len - kl - 1;
			const char *v = eqs + 1;
			int64_t x;
			if (eq(kv, kl, "c") && !marker) {
				if (rdr_set_chip(r, v, vl))
					return rdr_fail(err, errlen,
							"passing key 'c': bad chip code");
				have_c = true;
			} else if (eq(kv, kl, "t")) {
				if (rdr_parse_tod(v, vl, &r->tod))
					return rdr_fail(err, errlen, "key 't': not hh:mm:ss.fff");
				have_t = true;
			} else if (eq(kv, kl, "d")) {
				int64_t yy = vl == 6 ? rdr_digits(v, 2) : -1;
				int64_t mo = vl == 6 ? rdr_digits(v + 2, 2) : -1;
				int64_t dd = vl == 6 ? rdr_digits(v + 4, 2) : -1;
				if (yy < 0 || mo < 0 || dd < 0 ||
				    (r->day = rdr_days(2000 + (int)yy, (int)mo, (int)dd)) == INT32_MIN)
					return rdr_fail(err, errlen, "key 'd': not yymmdd");
			} else if (eq(kv, kl, "ut")) {
				if (rdr_int(v, vl, &x) || x < 0 || x > 4102444800000LL)
					return rdr_fail(err, errlen, "key 'ut': not Unix ms");
				r->unix_ms = x;
			} else if (eq(kv, kl, "h")) {
				if (rdr_int(v, vl, &x) || x < 0 || x > 1000000)
					return rdr_fail(err, errlen, "key 'h': not a count");
				r->hits = (int)x;
			} else if (eq(kv, kl, "am") || eq(kv, kl, "amd")) {
				if (rdr_int(v, vl, &x) || x < -200 || x > 200)
					return rdr_fail(err, errlen, "key 'am': not an amplitude");
				r->rssi = (int)x;
			} else if (eq(kv, kl, "an")) {
				if (rdr_int(v, vl, &x) || x < 0 || x > 1000)
					return rdr_fail(err, errlen,
							"key 'an': not an antenna number");
				r->ant = (int)x;
			}
		}
		if (!bar)
			break;
		i += len + 1;
	}
	if (marker)
		memcpy(r->chip, "gunshot", 8);
	else if (!have_c)
		return rdr_fail(err, errlen, "passing record without 'c'");
	if (!have_t && r->unix_ms < 0)
		return rdr_fail(err, errlen, "record without 't'");
	return 0;
}

int mlp_parse(const char *s, size_t n, mlp_msg *m, char *err, size_t errlen)
{
	m->nreads = 0;
	m->type = MLP_OTHER;
	m->name[0] = m->msgno[0] = '\0';
	/* sections: name, kind, then records / msgNo; a trailing "" */
	size_t ns = 0, start = 0;
	const char *sec[3] = {0};
	size_t secl[3] = {0};
	for (size_t i = 0; i <= n && ns < 2; i++)
		if (i == n || s[i] == '@') {
			sec[ns] = s + start;
			secl[ns++] = i - start;
			start = i + 1;
		}
	if (ns < 2)
		return rdr_fail(err, errlen, "message: no '@' after the name");
	if (secl[0] > 64)
		return rdr_fail(err, errlen, "message: name longer than 64 bytes");
	memcpy(m->name, sec[0], secl[0]);
	m->name[secl[0]] = '\0';
	const char *k = sec[1];
	size_t kl = secl[1];
	if (eq(k, kl, "Ping"))
		m->type = MLP_PING;
	else if (eq(k, kl, "Pong"))
		m->type = MLP_PONG;
	else if (eq(k, kl, "Passing"))
		m->type = MLP_PASSING;
	else if (eq(k, kl, "Marker"))
		m->type = MLP_MARKER;
	if (m->type != MLP_PASSING && m->type != MLP_MARKER)
		return 0;
	/* the rest: records hold '=', the message number does not */
	size_t i = start;
	while (i < n) {
		const char *p = s + i;
		const char *at = memchr(p, '@', n - i);
		size_t len = at ? (size_t)(at - p) : n - i;
		if (len && memchr(p, '=', len)) {
			if (m->nreads >= MLP_MAX_RECORDS)
				return rdr_fail(err, errlen, "message: too many records");
			SL_GROW(m->reads, m->cap, m->nreads + 1);
			int rc = parse_record(p, len, &m->reads[m->nreads], m->type == MLP_MARKER,
					      err, errlen);
			if (rc)
				return rc;
			m->nreads++;
		} else if (len) {
			if (len > 32 || rdr_digits(p, len) < 0)
				return rdr_fail(err, errlen, "message number: not a number");
			memcpy(m->msgno, p, len);
			m->msgno[len] = '\0';
		}
		i += len + 1;
	}
	return 0;
}

void mlp_fmt_passing(sl_buf *out, const char *name, const rdr_raw *r, size_t n,
		     unsigned long msgno)
{
	sl_buf_addf(out, "%s@Passing@", name);
	for (size_t i = 0; i < n; i++) {
		int64_t t = r[i].tod < 0 ? 0 : r[i].tod;
		sl_buf_addf(out, "c=%s|t=%02d:%02d:%02d.%03d", r[i].chip, (int)(t / 3600000),
			    (int)(t / 60000 % 60), (int)(t / 1000 % 60), (int)(t % 1000));
		if (r[i].day != INT32_MIN) {
			int y, mo, d;
			rdr_civil(r[i].day, &y, &mo, &d);
			sl_buf_addf(out, "|d=%02d%02d%02d", y % 100, mo, d);
		}
		sl_buf_addf(out, "|h=%d|am=%d|an=%d@", r[i].hits < 0 ? 1 : r[i].hits, r[i].rssi,
			    r[i].ant);
	}
	sl_buf_addf(out, "%lu@$", msgno);
}
