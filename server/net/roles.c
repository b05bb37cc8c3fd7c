/*
 * roles.c: the role and scope rules of /ws (see roles.h).  Pure: strings
 * in, a code and a sentence out.  The sentences are wire text (clients and
 * tests read them): change them only with protocol/PROTOCOL.md.
 */
#include <string.h>

#include "net/roles.h"
#include "slp.h"

static const char *const role_names[] = {"spectator", "reader", "official",
					 "admin",     "desk",   "scanner"};

#define R(x) (1u << (x))
#define R_ANY                                                                                      \
	(R(ROLE_SPECTATOR) | R(ROLE_READER) | R(ROLE_OFFICIAL) | R(ROLE_ADMIN) | R(ROLE_DESK) |    \
	 R(ROLE_SCANNER))
#define R_OFF (R(ROLE_OFFICIAL) | R(ROLE_ADMIN))

static const struct {
	const char *t;
	unsigned roles; /* the roles allowed; 0: anyone, even before hello */
} msgs[NET_MSG_COUNT] = {
	[NET_MSG_HELLO] = {"hello", 0},
	[NET_MSG_SUBSCRIBE] = {"subscribe", R_ANY},
	[NET_MSG_UNSUBSCRIBE] = {"unsubscribe", R_ANY},
	[NET_MSG_PASSINGS] = {"passings", R(ROLE_READER) | R_OFF | R(ROLE_SCANNER)},
	[NET_MSG_PARTICIPANTS] = {"participants", R_OFF},
	[NET_MSG_WAVE_START] = {"wave_start", R_OFF},
	[NET_MSG_EVENT_CREATE] = {"event_create", R(ROLE_ADMIN)},
	[NET_MSG_TOKEN_ISSUE] = {"token_issue", R(ROLE_ADMIN)},
	[NET_MSG_TOKEN_REVOKE] = {"token_revoke", R(ROLE_ADMIN)},
	[NET_MSG_ADJUST] = {"adjust", R_OFF},
	[NET_MSG_RACE_OFFICIAL] = {"race_official", R_OFF},
	[NET_MSG_LINEUP] = {"lineup", R_OFF},
	[NET_MSG_CHECKINS] = {"checkins", R_OFF | R(ROLE_DESK) | R(ROLE_SCANNER)},
	[NET_MSG_CHECKIN_UNDO] = {"checkin_undo", R_OFF},
	[NET_MSG_READ_VOID] = {"read_void", R_OFF},
	[NET_MSG_SERIES_PUT] = {"series_put", R(ROLE_ADMIN)},
};

static bool eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(lit, s, n) == 0;
}

const char *net_role_name(int role)
{
	return role >= 0 && role <= ROLE_LAST ? role_names[role] : "none";
}

int net_role_parse(const char *s, size_t n)
{
	for (int i = 0; i <= ROLE_LAST; i++)
		if (eq(s, n, role_names[i]))
			return i;
	return ROLE_NONE;
}

const char *net_msg_name(int msg)
{
	return msg >= 0 && msg < NET_MSG_COUNT ? msgs[msg].t : "";
}

int net_msg_parse(const char *t, size_t n)
{
	for (int i = 0; t && i < NET_MSG_COUNT; i++)
		if (eq(t, n, msgs[i].t))
			return i;
	return -1;
}

int net_allowed(int role, int msg, sl_buf *why)
{
	if (role == ROLE_NONE && msg != NET_MSG_HELLO) {
		sl_buf_addf(why, "send hello first");
		return SL_EAUTH;
	}
	if (msgs[msg].roles && !(role >= 0 && role <= ROLE_LAST && (msgs[msg].roles & R(role)))) {
		sl_buf_addf(why, "role '%s' may not send '%s'", net_role_name(role), msgs[msg].t);
		return SL_EPERM;
	}
	return 0;
}

int net_writer_allowed(int role, const char *device, const char *dev, size_t devlen, sl_buf *why)
{
	if (!device) {
		sl_buf_addf(why,
			    "this %s token has no device: issue one with --device to send device "
			    "input",
			    net_role_name(role));
		return SL_EPERM;
	}
	if (dev && (devlen != strlen(device) || memcmp(dev, device, devlen) != 0)) {
		sl_buf_addf(why, "dev '%.*s' is not this token's device '%s'",
			    (int)(devlen > 64 ? 64 : devlen), dev, device);
		return SL_EPERM;
	}
	return 0;
}

int net_scope_allowed(int role, int msg, const char *point, sl_buf *why)
{
	if (role != ROLE_SCANNER)
		return 0;
	if (msg == NET_MSG_PASSINGS && !point) {
		sl_buf_addf(why, "this scanner token has no timing point: it sends checkins only");
		return SL_EPERM;
	}
	if (msg == NET_MSG_CHECKINS && point) {
		sl_buf_addf(why,
			    "this scanner token is scoped to point '%s': it may not check "
			    "athletes in",
			    point);
		return SL_EPERM;
	}
	return 0;
}

/* After net_scope_allowed: a scanner that gets here has a point. */
int net_read_allowed(int role, const char *point, size_t i, int kind, const char *pt, size_t ptlen,
		     sl_buf *why)
{
	if (role != ROLE_SCANNER || !point)
		return 0;
	if (kind != SLP_KIND_HANDHELD) {
		sl_buf_addf(why, "reads[%zu].kind: a scanner sends handheld reads only", i);
		return SL_EPERM;
	}
	if (ptlen != strlen(point) || memcmp(pt, point, ptlen) != 0) {
		sl_buf_addf(why, "reads[%zu].pt '%.*s' is outside this token's scope: point '%s'",
			    i, (int)ptlen, pt, point);
		return SL_EPERM;
	}
	return 0;
}

/* A volunteer's scanner checks in; bibs and chips change at a desk. */
int net_scan_allowed(int role, uint32_t i, const char *op, size_t on, sl_buf *why)
{
	if (role != ROLE_SCANNER || !op || eq(op, on, "checkin"))
		return 0;
	sl_buf_addf(why, "scans[%u].op: '%.*s' needs a desk or official token", i,
		    (int)(on > 32 ? 32 : on), op);
	return SL_EPERM;
}

/*
 * Who checked in, where and when, and the audit trail (names, ages,
 * transfers) are for desks and officials; a device follows the answers to
 * its own scans.
 */
const char *net_topic_denied(int role, const char *device, const char *topic, size_t tn)
{
	bool staff = role == ROLE_DESK || role == ROLE_OFFICIAL || role == ROLE_ADMIN;

	if (tn == 5 && !memcmp(topic, "audit", 5))
		return staff ? NULL : "the audit trail is for desks and officials";
	if (tn > 6 && !memcmp(topic, "scans/", 6)) {
		if (staff || (device && (role == ROLE_SCANNER || role == ROLE_READER) &&
			      strlen(device) == tn - 6 && !memcmp(device, topic + 6, tn - 6)))
			return NULL;
		return "a device's scans are for that device, desks and officials";
	}
	if (tn > 8 && !memcmp(topic, "checkin/", 8))
		return staff || role == ROLE_SCANNER
			       ? NULL
			       : "check-in lists are for desks, scanners and officials";
	return NULL;
}

size_t net_window_limit(int role, const char *topic, size_t tn, size_t limit)
{
	if (role != ROLE_NONE && role != ROLE_SPECTATOR)
		return limit;
	if (limit == 0 && tn > 9 && !memcmp(topic, "finishes/", 9))
		return 0; /* the last 50 */
	return limit == 0 || limit > NET_SPECTATOR_ROWS ? NET_SPECTATOR_ROWS : limit;
}
