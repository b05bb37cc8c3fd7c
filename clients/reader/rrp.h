/*
 * rrp.h: the RaceResult decoder line protocol (System 5000 / Active
 * decoders, TCP 3601; we are the client).  Pure parser and formatter.
 *
 * Lines are ASCII, fields separated by ';', each ending "\r\n" (framing is
 * rdr_frame's).  A line is one of:
 *   - empty: the end of a "<first>:<n>" fetch answer;
 *   - a passing: "#P;<fields>" (push mode) or "<fields>" whose first field
 *     is the passing number (fetch answer).  Fields at protocol 3.x:
 *     PassingNo;Bib|TranspCode;Date;Time;EventID;Hits;MaxRSSI;InternalData;
 *     IsActive;Channel;LoopID;LoopOnly;WakeupCounter;Battery;Temperature;
 *     InternalActiveData;BoxName;FileNumber;MaxRSSIAntenna;BoxId
 *     (older decoders stop after InternalData: 8 fields; at least 4 needed).
 *     Date "0000-00-00" means none (no GPS); time "hh:mm:ss.kkk".
 *   - a reply: its first field is the command's name ("GETPROTOCOL",
 *     "PASSINGS", "SETPUSHPASSINGS", "GETTIME", ...), the rest its values.
 * A reply's fields borrow from the line.
 */
#ifndef SL_RRP_H
#define SL_RRP_H

#include "rdr.h"

#define RRP_PORT 3601
#define RRP_MAX_FIELDS 24

enum rrp_type { RRP_EMPTY, RRP_PASSING, RRP_REPLY };

typedef struct rrp_msg {
	int type;
	bool push;                    /* a passing that came as "#P;..." */
	rdr_raw raw;                  /* RRP_PASSING: no = PassingNo */
	const char *f[RRP_MAX_FIELDS]; /* RRP_REPLY: f[0] is the command */
	size_t fl[RRP_MAX_FIELDS];
	size_t nf;
} rrp_msg;

/* Parse one line (terminator removed).  0 or SL_EPARSE (err says which
 * field).  Fields borrow line. */
int rrp_parse(const char *line, size_t n, rrp_msg *m, char *err, size_t errlen);

/* Append one passing line with "\r\n": push adds the "#P;" prefix.  Uses
 * raw no, chip, day (INT32_MIN: "0000-00-00"), tod, hits, rssi, ant. */
void rrp_fmt_passing(sl_buf *out, const rdr_raw *r, bool push);

#endif
