/*
 * jcp.h: the JChip line protocol (CrossMgr's common bridge format; the
 * reader connects to us, TCP 53135).  Pure parser and formatter.
 *
 * Every message ends with '\r' (framing: rdr_frame with '\r').
 *   reader -> "N0000<readerName>"                   JCP_NAME
 *   us     -> "GT"
 *   reader -> "GT0HHMMSShh date=YYYYMMDD"           JCP_TIME (its clock)
 *   us     -> "S0000"  (start sending)
 *   reader -> "DA<tag> <HH:MM:SS.ff> 10  <5 hex digit seq>      C7 date=YYYYMMDD"
 *                                                   JCP_READ ("CA" accepted too)
 */
#ifndef SL_JCP_H
#define SL_JCP_H

#include "rdr.h"

#define JCP_PORT 53135

enum jcp_type { JCP_NAME, JCP_TIME, JCP_READ, JCP_OTHER };

typedef struct jcp_msg {
	int type;
	char name[65]; /* JCP_NAME */
	rdr_raw raw;   /* JCP_TIME: tod/day of its clock; JCP_READ: the read (no = seq) */
} jcp_msg;

int jcp_parse(const char *line, size_t n, jcp_msg *m, char *err, size_t errlen);

/* Append a read with its '\r' (seq modulo 16^5). */
void jcp_fmt_read(sl_buf *out, const rdr_raw *r);
/* Append "GT0HHMMSShh date=YYYYMMDD\r". */
void jcp_fmt_time(sl_buf *out, int64_t tod, int32_t day);

#endif
