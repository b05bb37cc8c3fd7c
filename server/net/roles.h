/*
 * roles.h: who may send what on /ws, as pure functions of the session's
 * role, device and timing point.  No session, no I/O: the handlers ask, and
 * send the err these functions describe (code and sentence) themselves.
 *
 * The rules, in the order a message meets them (the handlers call each at
 * the place it always was, so a message that breaks two rules gets the same
 * err as before):
 *
 *   net_allowed         on receipt: hello first, then the roles each message
 *                       type allows (desk and scanner are not above or below
 *                       the others: each type lists its roles)
 *   net_writer_allowed  device input (passings, checkins): the token's own
 *                       device only, and a token without one writes none
 *   net_scope_allowed   a scanner token with a timing point sends passings
 *                       only, one without sends checkins only
 *   net_read_allowed    each read of a scanner: handheld, at its point
 *   net_scan_allowed    each scan of a scanner: op checkin only
 *   net_topic_denied    who may follow a topic
 *   net_window_limit    how many rows of a topic a subscribe gets
 *
 * Each returns 0 or a negative SL_E* code and then appends the err's
 * sentence to why (owned by the caller); net_topic_denied returns NULL or
 * the reason (a static string) that its caller words into a sentence.
 *
 * Message types are an enum; the names and the roles allowed sit in one
 * table in roles.c keyed by it, the handlers in one table in ws.c keyed by
 * it, so neither depends on the order of the other.
 */
#ifndef SL_NET_ROLES_H
#define SL_NET_ROLES_H

#include <stddef.h>
#include <stdint.h>

#include "sl.h"

enum role {
	ROLE_NONE = -1, /* before hello */
	ROLE_SPECTATOR = 0,
	ROLE_READER,
	ROLE_OFFICIAL,
	ROLE_ADMIN,
	ROLE_DESK,
	ROLE_SCANNER
};
#define ROLE_LAST ROLE_SCANNER

enum net_msg {
	NET_MSG_HELLO,
	NET_MSG_SUBSCRIBE,
	NET_MSG_UNSUBSCRIBE,
	NET_MSG_PASSINGS,
	NET_MSG_PARTICIPANTS,
	NET_MSG_WAVE_START,
	NET_MSG_EVENT_CREATE,
	NET_MSG_TOKEN_ISSUE,
	NET_MSG_TOKEN_REVOKE,
	NET_MSG_ADJUST,
	NET_MSG_RACE_OFFICIAL,
	NET_MSG_LINEUP,
	NET_MSG_CHECKINS,
	NET_MSG_CHECKIN_UNDO,
	NET_MSG_READ_VOID,
	NET_MSG_SERIES_PUT,
	NET_MSG_COUNT
};

const char *net_role_name(int role);         /* "none" for ROLE_NONE or out of range */
int net_role_parse(const char *s, size_t n); /* role or ROLE_NONE */
const char *net_msg_name(int msg);
int net_msg_parse(const char *t, size_t n); /* enum net_msg, or -1: unknown */

/* May a session of role (ROLE_NONE before hello) send msg? */
int net_allowed(int role, int msg, sl_buf *why);
/*
 * May a session of role whose token writes as device (NULL: none) send
 * device input that names dev (NULL: left out; devlen bytes)?
 */
int net_writer_allowed(int role, const char *device, const char *dev, size_t devlen, sl_buf *why);
/* The timing point's scope (point: the token's, or NULL) for passings and checkins. */
int net_scope_allowed(int role, int msg, const char *point, sl_buf *why);
/* reads[i] of passings, of kind (enum slp_read_kind) at point pt. */
int net_read_allowed(int role, const char *point, size_t i, int kind, const char *pt, size_t ptlen,
		     sl_buf *why);
/* scans[i] of checkins with op (NULL: none given, or not a string). */
int net_scan_allowed(int role, uint32_t i, const char *op, size_t on, sl_buf *why);
/* NULL when role (with its device, or NULL) may follow topic, else why not. */
const char *net_topic_denied(int role, const char *device, const char *topic, size_t tn);

/*
 * The limit a subscribe of role to topic with limit (0: all) gets: a
 * spectator's (no token, or a spectator token) window is at most
 * NET_SPECTATOR_ROWS rows (the pages ask for 1000), so 0 or more reads as
 * that; whole races are for the HTTP export.  finishes/ keeps its 0 (the
 * last 50).  Any other role gets what it asked.
 */
#define NET_SPECTATOR_ROWS 1000
size_t net_window_limit(int role, const char *topic, size_t tn, size_t limit);

#endif
