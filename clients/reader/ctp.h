/*
 * ctp.h: the ChronoTrack "SimpleClient" stream, CTP01 (the decoder connects
 * to us, default port 61611).  Pure parser and formatter.
 *
 * Lines end "\r\n", fields are separated by '~'.
 *   decoder -> "SimpleClient~<version>~CTP01"               CTP_HELLO
 *   us      -> "<ServerName>~<N>", N "key=value" lines, then commands
 *              "getlocations", "start", "ping" (every 10 s)
 *   decoder -> "ack~ping", "ack~getlocations~<loc>~...",    CTP_ACK (f[1] names it)
 *              "CT01_33~<seq>~<location>~<tag>~<time>~<read count>~<reader id>~<antenna>"
 *                                                           CTP_READ
 * Read time: "14:02:15.31" (normal), "2008-10-16T14:02:15.31" (iso) or
 * Unix seconds "1223863335.31".  Tags "guntime" and "newlocation" are
 * special (flags set, no chip check).  Fields borrow the line.
 */
#ifndef SL_CTP_H
#define SL_CTP_H

#include "rdr.h"

#define CTP_PORT 61611
#define CTP_MAX_FIELDS 16

enum ctp_type { CTP_HELLO, CTP_READ, CTP_ACK, CTP_OTHER };

typedef struct ctp_msg {
	int type;
	rdr_raw raw;          /* CTP_READ: no = seq, hits = read count */
	char loc[65];         /* CTP_READ: the location */
	bool guntime;         /* CTP_READ of tag "guntime" */
	bool newlocation;     /* CTP_READ of tag "newlocation" */
	const char *f[CTP_MAX_FIELDS];
	size_t fl[CTP_MAX_FIELDS];
	size_t nf;
} ctp_msg;

int ctp_parse(const char *line, size_t n, ctp_msg *m, char *err, size_t errlen);

/* Append a read line with "\r\n", time in the normal format (tod), or iso
 * when r->day is set. */
void ctp_fmt_read(sl_buf *out, const rdr_raw *r, const char *loc);

#endif
