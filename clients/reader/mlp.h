/*
 * mlp.h: the MYLAPS exporter protocol (MYLAPS software connects to us, TCP
 * 3097).  Pure parser and formatter.
 *
 * A message ends with '$' (framing: rdr_frame with '$'); sections are
 * separated by '@'; a record is key=value pairs joined by '|'.
 *   <name>@Pong@            -> <server>@AckPong@Version2.1@$
 *   <name>@Ping@            -> <server>@AckPing@$
 *   <name>@Passing@<rec>@<rec>...@<msgNo>@   -> <server>@AckPassing@<msgNo>@$
 *   <name>@Marker@mt=Gunshot|t=<time>|n=<name>@<msgNo>@  -> AckMarker
 * Passing keys: c chip, t hh:mm:ss.fff, d yymmdd, b bib, dv device, re
 * reader, an antenna, h hits, am/amd amplitude, l lap, ut Unix ms; unknown
 * keys are ignored.  Unacked messages are sent again: duplicates are normal.
 *
 * Ownership: mlp_parse fills m->reads (owned by m, grown with sl_realloc);
 * release with mlp_msg_release (m may be reused after).  Zero-init first.
 */
#ifndef SL_MLP_H
#define SL_MLP_H

#include "rdr.h"

#define MLP_PORT 3097
#define MLP_MAX_RECORDS 10000

enum mlp_type { MLP_PING, MLP_PONG, MLP_PASSING, MLP_MARKER, MLP_OTHER };

typedef struct mlp_msg {
	int type;
	char name[65];   /* the sender's name */
	char msgno[33];  /* Passing/Marker: the message number to ack ("" if none) */
	rdr_raw *reads;  /* Passing: the records; Marker: one (chip "gunshot") */
	size_t nreads, cap;
} mlp_msg;

int mlp_parse(const char *s, size_t n, mlp_msg *m, char *err, size_t errlen);
void mlp_msg_release(mlp_msg *m);

/* Append "<name>@Passing@c=..|t=..|d=..|h=..|am=..|an=..@..@<msgno>@$". */
void mlp_fmt_passing(sl_buf *out, const char *name, const rdr_raw *r, size_t n,
		     unsigned long msgno);

#endif
