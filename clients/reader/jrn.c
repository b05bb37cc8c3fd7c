/*
 * jrn.c: the reader's journal (see jrn.h for the format and recovery).
 */
#include "jrn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC 0x314a4c53u /* "SLJ1" little-endian */
#define HDR 12
#define PAYLOAD_MAX (8 * 3 + 4 * 2 + 1 + RDR_CHIP_MAX)

uint32_t jrn_crc32(const void *p, size_t n)
{
	static uint32_t table[256];
	static int ready;
	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	uint32_t c = 0xFFFFFFFFu;
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		c = table[(c ^ b[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

void jrn_encode(sl_buf *out, const jrn_rec *r)
{
	size_t cl = strnlen(r->chip, RDR_CHIP_MAX);
	unsigned char c = (unsigned char)cl;
	sl_buf_add(out, &r->t, 8);
	sl_buf_add(out, &r->dt, 8);
	sl_buf_add(out, &r->no, 8);
	sl_buf_add(out, &r->rssi, 4);
	sl_buf_add(out, &r->hits, 4);
	sl_buf_add(out, &c, 1);
	sl_buf_add(out, r->chip, cl);
}

int jrn_decode(const char *p, size_t n, jrn_rec *r)
{
	if (n < 33)
		return SL_EPARSE;
	memset(r, 0, sizeof(*r));
	memcpy(&r->t, p, 8);
	memcpy(&r->dt, p + 8, 8);
	memcpy(&r->no, p + 16, 8);
	memcpy(&r->rssi, p + 24, 4);
	memcpy(&r->hits, p + 28, 4);
	size_t cl = (unsigned char)p[32];
	if (cl == 0 || cl > RDR_CHIP_MAX || n != 33 + cl)
		return SL_EPARSE;
	memcpy(r->chip, p + 33, cl);
	r->chip[cl] = '\0';
	return 0;
}

int jrn_open(jrn *j, const char *path, jrn_each_fn each, void *ctx, uint64_t *torn, char *err,
	     size_t errlen)
{
	memset(j, 0, sizeof(*j));
	j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (j->fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return SL_EIO;
	}
	j->path = sl_strdup(path);
	struct stat st;
	if (fstat(j->fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat '%s': %s", path, strerror(errno));
		jrn_close(j);
		return SL_EIO;
	}
	size_t size = (size_t)st.st_size;
	char *data = sl_malloc(size ? size : 1);
	size_t got = 0;
	while (got < size) {
		ssize_t r = pread(j->fd, data + got, size - got, (off_t)got);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)r;
	}
	size_t pos = 0;
	int rc = 0;
	while (pos + HDR <= got) {
		uint32_t magic, len, crc;
		memcpy(&magic, data + pos, 4);
		memcpy(&len, data + pos + 4, 4);
		memcpy(&crc, data + pos + 8, 4);
		if (magic != MAGIC || len > PAYLOAD_MAX || pos + HDR + len > got ||
		    jrn_crc32(data + pos + HDR, len) != crc)
			break;
		jrn_rec rec;
		if (jrn_decode(data + pos + HDR, len, &rec) != 0)
			break;
		j->count++;
		if (each && (rc = each(ctx, j->count, &rec)) != 0)
			break;
		pos += HDR + len;
	}
	free(data);
	if (rc) {
		snprintf(err, errlen, "'%s': recovery stopped at record %llu", path,
			 (unsigned long long)j->count);
		jrn_close(j);
		return rc;
	}
	if (torn)
		*torn = size - pos;
	if (pos < size) {
		sl_warn("journal '%s': cutting a torn tail of %zu bytes after record %llu", path,
			size - pos, (unsigned long long)j->count);
		if (ftruncate(j->fd, (off_t)pos) != 0 || fsync(j->fd) != 0) {
			snprintf(err, errlen, "cannot truncate '%s': %s", path, strerror(errno));
			jrn_close(j);
			return SL_EIO;
		}
	}
	if (lseek(j->fd, (off_t)pos, SEEK_SET) < 0) {
		snprintf(err, errlen, "cannot seek '%s': %s", path, strerror(errno));
		jrn_close(j);
		return SL_EIO;
	}
	j->synced = j->count;
	return 0;
}

void jrn_append(jrn *j, const jrn_rec *r)
{
	size_t at = j->pend.len;
	uint32_t hdr[3] = {MAGIC, 0, 0};
	sl_buf_add(&j->pend, hdr, HDR);
	jrn_encode(&j->pend, r);
	uint32_t len = (uint32_t)(j->pend.len - at - HDR);
	uint32_t crc = jrn_crc32(j->pend.data + at + HDR, len);
	memcpy(j->pend.data + at + 4, &len, 4);
	memcpy(j->pend.data + at + 8, &crc, 4);
	j->count++;
}

int jrn_sync(jrn *j)
{
	if (j->synced == j->count)
		return 0;
	size_t off = 0;
	while (off < j->pend.len) {
		ssize_t w = write(j->fd, j->pend.data + off, j->pend.len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			sl_error("cannot write journal '%s': %s", j->path, strerror(errno));
			return SL_EIO;
		}
		off += (size_t)w;
	}
	sl_buf_reset(&j->pend);
	if (fdatasync(j->fd) != 0) {
		sl_error("cannot sync journal '%s': %s", j->path, strerror(errno));
		return SL_EIO;
	}
	j->synced = j->count;
	return 0;
}

void jrn_close(jrn *j)
{
	if (j->fd >= 0 && j->path)
		jrn_sync(j);
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	free(j->path);
	j->path = NULL;
	sl_buf_release(&j->pend);
}

int jrn_ack_load(const char *path, uint64_t *acked)
{
	*acked = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : SL_EIO;
	unsigned long long v = 0;
	int n = fscanf(f, "%llu", &v);
	fclose(f);
	if (n == 1)
		*acked = v;
	return 0;
}

int jrn_ack_store(const char *path, uint64_t acked)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return SL_EIO;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)acked);
	int rc = write(fd, buf, (size_t)n) == n && fsync(fd) == 0 ? 0 : SL_EIO;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = SL_EIO;
	return rc;
}

int jrn_vec_add(void *ctx, uint64_t idx, const jrn_rec *r)
{
	jrn_vec *v = ctx;
	(void)idx;
	SL_GROW(v->v, v->cap, v->n + 1);
	v->v[v->n++] = *r;
	return 0;
}
