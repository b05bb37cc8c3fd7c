/*
 * evtime.h: times of day in the event's time zone, for the C clients.
 *
 * The server and the wire know only instants (ms since the epoch, or ISO
 * 8601 text with its UTC offset).  People write clock times: "10:00" on the
 * start line in Boston is 10:00 Eastern time, whatever zone the official's
 * laptop is set to.  These helpers turn what an official writes into an
 * instant, in the event's IANA zone (the config's `timezone`) with the
 * offset it has on that date, DST included, and back.
 *
 * Zones come from the system's zone files (TZDIR, else /usr/share/zoneinfo:
 * Debian's tzdata), read by the C library: TZ is set for the conversion and
 * put back after, so these are not for threads.  A wall time that does not
 * exist in the zone (02:30 when clocks go forward) or that happens twice
 * (01:30 when they go back) is refused, with the offsets to choose from,
 * rather than guessed.
 *
 * Errors are sentences in err, in the git style ("'America/Nwe_York' is
 * not a time zone (no such file under /usr/share/zoneinfo)").
 */
#ifndef SL_EVTIME_H
#define SL_EVTIME_H

#include <stdint.h>

#include "sl.h"

/* 0 when tz names a zone file; SL_EINVAL with err otherwise. */
int evtime_zone_check(const char *tz, char *err, size_t errlen);

/*
 * The instant of the wall time y-mo-d h:mi:s.ms in zone tz.  0, or
 * SL_EINVAL with err (no such zone, no such time, a time that happens
 * twice).
 */
int evtime_local(const char *tz, int y, int mo, int d, int h, int mi, int s, int ms, int64_t *out,
		 char *err, size_t errlen);

/*
 * ISO 8601 text of an instant in zone tz, with its offset there
 * ("2015-04-20T10:00:00-04:00", ".fff" when the ms are not 0); tz NULL (or
 * no zone this system knows): UTC ("...Z").  Appended to b.
 */
void evtime_fmt(sl_buf *b, int64_t ms, const char *tz);

/*
 * ISO 8601 text without an offset ("2015-04-20T10:00:00[.fff]", or a date
 * alone: midnight) read in zone tz, then written with its offset there.
 * 0, or SL_EINVAL with err.  *ms gets the instant.
 */
int evtime_zone_iso(const char *text, const char *tz, sl_buf *out, int64_t *ms, char *err,
		    size_t errlen);

/* What a typed time is, before it is read (EVTIME_BAD: none of these). */
enum evtime_kind { EVTIME_BAD, EVTIME_NOW, EVTIME_INSTANT, EVTIME_LOCAL, EVTIME_CLOCK };
/* NOW "now"; INSTANT ISO 8601 with its offset; LOCAL ISO without one; CLOCK "H:MM[:SS[.fff]]". */
int evtime_kind(const char *s);

/*
 * A time an official types (--at): "now"; ISO 8601 with its offset; ISO
 * without one (read in tz); a clock time "H:MM", "HH:MM:SS" or
 * "HH:MM:SS.fff" on date (YYYY-MM-DD, the event's) in tz.  tz and date may
 * be NULL when the event has none: then only the first two forms are
 * accepted, and err says what is missing.  0, or SL_EINVAL with err.
 */
int evtime_parse(const char *s, const char *tz, const char *date, int64_t *ms, char *err,
		 size_t errlen);

/*
 * Text of n bytes from the server (a sentence, an audit value) with every
 * UTC instant in it ("2015-04-20T14:00:05.000Z", as sl_fmt_iso writes
 * them) written in zone tz instead (evtime_fmt); the rest as it is.
 * Appended to out.  tz NULL or unknown: the text unchanged.
 */
void evtime_relocalize(sl_buf *out, const char *text, size_t n, const char *tz);

#endif
