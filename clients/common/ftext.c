/*
 * ftext.c: whole files and blank text for the clients' readers (see
 * ftext.h).
 */
#include "ftext.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int ftext_read(const char *path, size_t max, sl_buf *out, const char **why)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*why = strerror(errno);
		return SL_ENOENT;
	}
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		sl_buf_add(out, tmp, n);
		if (max && out->len > max)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		*why = "read error";
		return SL_EIO;
	}
	return max && out->len > max ? SL_ETOOBIG : 0;
}

char *ftext_trim(char *t)
{
	while (*t && isspace((unsigned char)*t))
		t++;
	size_t n = strlen(t);
	while (n && isspace((unsigned char)t[n - 1]))
		t[--n] = '\0';
	return t;
}

bool ftext_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return false;
	return true;
}
