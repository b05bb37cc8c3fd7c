/*
 * rsc.c: rescoring the raw journal (see rsc.h).  The on-disk record format
 * is jrn.h's; rsc_scan reads it without jrn_open (which opens for writing
 * and truncates a torn tail) so that a running reader is never disturbed.
 */
#include "rsc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC 0x314a4c53u /* "SLJ1", as jrn.c */
#define HDR 12
#define PAYLOAD_MAX 4096

int rsc_scan(const char *path, jrn_each_fn each, void *ctx, uint64_t *torn, char *err,
	     size_t errlen)
{
	if (torn)
		*torn = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return SL_EIO;
	}
	sl_buf b = SL_BUF_INIT;
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
			close(fd);
			sl_buf_release(&b);
			return SL_EIO;
		}
		if (n == 0)
			break;
		sl_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	size_t off = 0;
	uint64_t idx = 0;
	int rc = 0;
	while (b.len - off >= HDR) {
		uint32_t magic, len, crc;
		memcpy(&magic, b.data + off, 4);
		memcpy(&len, b.data + off + 4, 4);
		memcpy(&crc, b.data + off + 8, 4);
		if (magic != MAGIC || len > PAYLOAD_MAX || b.len - off - HDR < len)
			break;
		const char *p = b.data + off + HDR;
		jrn_rec r;
		if (jrn_crc32(p, len) != crc || jrn_decode(p, len, &r) != 0)
			break;
		off += HDR + len;
		if (each && (rc = each(ctx, ++idx, &r)) != 0)
			break;
	}
	if (torn && !rc)
		*torn = b.len - off;
	sl_buf_release(&b);
	return rc;
}

static void emit(void *ctx, const jrn_rec *p)
{
	jrn_vec_add(ctx, 0, p);
}

static bool same(const jrn_rec *a, const jrn_rec *b)
{
	return a->t == b->t && a->dt == b->dt && a->no == b->no && a->rssi == b->rssi &&
	       a->hits == b->hits && strcmp(a->chip, b->chip) == 0;
}

int rsc_run(const char *raw_path, const flt_cfg *cfg, const char *pass_path, rsc_stats *st,
	    char *err, size_t errlen)
{
	rsc_stats s = {0};
	jrn_vec raw = {0}, out = {0}, old = {0};
	int rc = rsc_scan(raw_path, jrn_vec_add, &raw, &s.torn, err, errlen);
	if (rc)
		goto done;
	s.raw = raw.n;
	flt *f = flt_new(cfg);
	for (size_t i = 0; i < raw.n; i++)
		flt_feed(f, &raw.v[i], emit, &out);
	flt_flush(f, emit, &out);
	flt_free(f);
	jrn j;
	rc = jrn_open(&j, pass_path, jrn_vec_add, &old, NULL, err, errlen);
	if (rc)
		goto done;
	bool prefix = old.n <= out.n;
	for (size_t i = 0; prefix && i < old.n; i++)
		prefix = same(&old.v[i], &out.v[i]);
	if (!prefix) {
		snprintf(err, errlen,
			 "'%s' already holds %zu passings that are not those of this rescore "
			 "(other settings or raw reads?): use a new --device",
			 pass_path, old.n);
		jrn_close(&j);
		rc = SL_ESTATE;
		goto done;
	}
	for (size_t i = old.n; i < out.n; i++)
		jrn_append(&j, &out.v[i]);
	rc = jrn_sync(&j);
	if (rc)
		snprintf(err, errlen, "cannot write '%s': %s", pass_path, strerror(errno));
	jrn_close(&j);
	s.passes = out.n;
	s.kept = old.n;
done:
	if (st)
		*st = s;
	free(raw.v);
	free(out.v);
	free(old.v);
	return rc;
}
