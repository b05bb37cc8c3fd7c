/*
 * ftext: small helpers for the clients' readers of text files (the
 * participants CSV, the Boston results CSV, the event config YAML): a
 * whole file read into memory, and the trimming and blank-line tests their
 * line-by-line CSV feeding shares.
 *
 * No state; the caller owns every buffer.  Messages are the caller's: these
 * return a code and, for a failed read, the reason as a borrowed string.
 */
#ifndef SL_FTEXT_H
#define SL_FTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "sl.h"

/*
 * Append the whole of path to out (owned by the caller, released by it on
 * error too).  max: stop and fail once more than max bytes are read (0: no
 * limit).  Returns 0; SL_ENOENT when it cannot be opened (*why: strerror);
 * SL_EIO on a read error (*why: "read error"); SL_ETOOBIG over max.
 */
int ftext_read(const char *path, size_t max, sl_buf *out, const char **why);

/* Spaces (isspace) cut at both ends, in place; returns the new start. */
char *ftext_trim(char *t);

/* Are the n bytes at p all spaces (isspace)? */
bool ftext_blank(const char *p, size_t n);

#endif
