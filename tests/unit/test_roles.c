/*
 * test_roles.c: the role and scope rules of /ws (server/net/roles.c), cell
 * by cell: roles x message types, roles x messages x timing-point scopes,
 * the device a token writes as, a scanner's reads and scans, and who may
 * follow which topic.
 *
 * The tables below are written out from protocol/PROTOCOL.md ("Session",
 * "Device input", "Check-in", "Officials", "Topics"), not derived from
 * roles.c's table; the sentences are the wire errors clients see.  Links
 * roles.c and slproto only.
 */
#include "net/roles.h"
#include "slp.h"
#include "t.h"

/* One letter per role, in enum order; '-' is "before hello" (ROLE_NONE). */
static const char role_letter[] = "SROADC";
static const char *const role_word[] = {"spectator", "reader", "official",
					"admin",     "desk",   "scanner"};

static const struct {
	const char *t;
	const char *who; /* the roles that may send it; '-': also before hello */
} may_send[] = {
	{"hello", "-SROADC"},  {"subscribe", "SROADC"}, {"unsubscribe", "SROADC"},
	{"passings", "ROAC"},  {"participants", "OA"},  {"wave_start", "OA"},
	{"event_create", "A"}, {"token_issue", "A"},    {"token_revoke", "A"},
	{"adjust", "OA"},      {"race_official", "OA"}, {"lineup", "OA"},
	{"checkins", "OADC"},  {"checkin_undo", "OA"},  {"read_void", "OA"},
	{"series_put", "A"},
};
#define NMSG (sizeof(may_send) / sizeof(may_send[0]))

static int check(int rc, sl_buf *why, int want, const char *want_why)
{
	ASSERT_EQ(rc, want);
	ASSERT_STREQ(why->data ? why->data : "", want_why);
	sl_buf_release(why);
	return rc;
}

static void names(void)
{
	ASSERT_EQ(NMSG, NET_MSG_COUNT);
	for (size_t i = 0; i < NMSG; i++) {
		int m = net_msg_parse(may_send[i].t, strlen(may_send[i].t));
		ASSERT(m >= 0);
		ASSERT_STREQ(net_msg_name(m), may_send[i].t);
	}
	static const char *const unknown[] = {"", "ping", "Hello", "hello2", "hell", "ack", "ok"};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		ASSERT_EQ(net_msg_parse(unknown[i], strlen(unknown[i])), -1);
	ASSERT_EQ(net_msg_parse(NULL, 0), -1);
	ASSERT_EQ(net_msg_parse("hello", 4), -1);
	for (int r = 0; r < 6; r++) {
		ASSERT_STREQ(net_role_name(r), role_word[r]);
		ASSERT_EQ(net_role_parse(role_word[r], strlen(role_word[r])), r);
	}
	ASSERT_STREQ(net_role_name(ROLE_NONE), "none");
	ASSERT_EQ(net_role_parse("none", 4), ROLE_NONE);
	ASSERT_EQ(net_role_parse("admins", 6), ROLE_NONE);
	ASSERT_EQ(net_role_parse("admin", 4), ROLE_NONE);
}

/* Every role (and none) against every message type. */
static void roles_x_messages(void)
{
	for (size_t i = 0; i < NMSG; i++) {
		int m = net_msg_parse(may_send[i].t, strlen(may_send[i].t));
		for (int r = ROLE_NONE; r <= 5; r++) {
			sl_buf why = SL_BUF_INIT;
			char want[100];
			int rc = net_allowed(r, m, &why);
			char letter = r == ROLE_NONE ? '-' : role_letter[r];
			if (strchr(may_send[i].who, letter)) {
				check(rc, &why, 0, "");
			} else if (r == ROLE_NONE) {
				check(rc, &why, SL_EAUTH, "send hello first");
			} else {
				snprintf(want, sizeof(want), "role '%s' may not send '%s'",
					 role_word[r], may_send[i].t);
				check(rc, &why, SL_EPERM, want);
			}
		}
	}
}

/* Device input writes as the token's own device only. */
static void writer_device(void)
{
	static const struct {
		int role;
		const char *device, *dev; /* the token's; the message's (NULL: left out) */
		int want;
		const char *why;
	} cells[] = {
		{ROLE_READER, "mat-5k", NULL, 0, ""},
		{ROLE_READER, "mat-5k", "mat-5k", 0, ""},
		{ROLE_READER, "mat-5k", "mat-5", SL_EPERM,
		 "dev 'mat-5' is not this token's device 'mat-5k'"},
		{ROLE_READER, "mat-5k", "mat-5kk", SL_EPERM,
		 "dev 'mat-5kk' is not this token's device 'mat-5k'"},
		{ROLE_OFFICIAL, "official-3fa9c2b1d4e5", "mat-5k", SL_EPERM,
		 "dev 'mat-5k' is not this token's device 'official-3fa9c2b1d4e5'"},
		{ROLE_ADMIN, "admin", "admin", 0, ""},
		{ROLE_READER, NULL, NULL, SL_EPERM,
		 "this reader token has no device: issue one with --device to send device input"},
		{ROLE_SCANNER, NULL, "s1", SL_EPERM,
		 "this scanner token has no device: issue one with --device to send device input"},
		{ROLE_DESK, NULL, NULL, SL_EPERM,
		 "this desk token has no device: issue one with --device to send device input"},
		{ROLE_DESK, "desk-1", "desk-1", 0, ""},
	};
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		sl_buf why = SL_BUF_INIT;
		const char *dev = cells[i].dev;
		int rc = net_writer_allowed(cells[i].role, cells[i].device, dev,
					    dev ? strlen(dev) : 0, &why);
		check(rc, &why, cells[i].want, cells[i].why);
	}
	/* a claimed dev is quoted up to 64 bytes */
	char longdev[100];
	memset(longdev, 'x', sizeof(longdev));
	sl_buf why = SL_BUF_INIT;
	ASSERT_EQ(net_writer_allowed(ROLE_READER, "d1", longdev, sizeof(longdev), &why), SL_EPERM);
	ASSERT(why.data && strstr(why.data, "dev '") &&
	       strlen(why.data) == strlen("dev '' is not this token's device 'd1'") + 64);
	sl_buf_release(&why);
}

/* roles x messages x the token's timing point: only a scanner is scoped. */
static void scope(void)
{
	static const char *const points[] = {NULL, "finish"};
	for (int r = 0; r <= 5; r++)
		for (int m = 0; m < NET_MSG_COUNT; m++)
			for (int p = 0; p < 2; p++) {
				sl_buf why = SL_BUF_INIT;
				int rc = net_scope_allowed(r, m, points[p], &why);
				bool pass = m == net_msg_parse("passings", 8);
				bool chk = m == net_msg_parse("checkins", 8);
				if (r == ROLE_SCANNER && pass && !points[p])
					check(rc, &why, SL_EPERM,
					      "this scanner token has no timing point: it sends "
					      "checkins only");
				else if (r == ROLE_SCANNER && chk && points[p])
					check(rc, &why, SL_EPERM,
					      "this scanner token is scoped to point 'finish': it "
					      "may not check athletes in");
				else
					check(rc, &why, 0, "");
			}
}

/* A scanner with a point: handheld reads at that point only. */
static void reads(void)
{
	static const struct {
		int role;
		size_t i;
		int kind;
		const char *pt;
		int want;
		const char *why;
	} cells[] = {
		{ROLE_SCANNER, 0, SLP_KIND_HANDHELD, "finish", 0, ""},
		{ROLE_SCANNER, 3, SLP_KIND_RFID, "finish", SL_EPERM,
		 "reads[3].kind: a scanner sends handheld reads only"},
		{ROLE_SCANNER, 1, SLP_KIND_MANUAL, "5k", SL_EPERM,
		 "reads[1].kind: a scanner sends handheld reads only"},
		{ROLE_SCANNER, 2, SLP_KIND_HANDHELD, "5k", SL_EPERM,
		 "reads[2].pt '5k' is outside this token's scope: point 'finish'"},
		{ROLE_SCANNER, 0, SLP_KIND_HANDHELD, "finis", SL_EPERM,
		 "reads[0].pt 'finis' is outside this token's scope: point 'finish'"},
		{ROLE_READER, 0, SLP_KIND_RFID, "5k", 0, ""},
		{ROLE_OFFICIAL, 0, SLP_KIND_MANUAL, "5k", 0, ""},
		{ROLE_ADMIN, 0, SLP_KIND_BACKUP, "5k", 0, ""},
	};
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		sl_buf why = SL_BUF_INIT;
		int rc = net_read_allowed(cells[i].role, "finish", cells[i].i, cells[i].kind,
					  cells[i].pt, strlen(cells[i].pt), &why);
		check(rc, &why, cells[i].want, cells[i].why);
	}
}

/* A scanner checks in; other ops need a desk or an official. */
static void scans(void)
{
	static const char *const ops[] = {NULL,   "checkin",  "assign",  "pair",
					  "swap", "transfer", "checkinx"};
	for (int r = 0; r <= 5; r++)
		for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
			sl_buf why = SL_BUF_INIT;
			const char *op = ops[o];
			int rc = net_scan_allowed(r, 3, op, op ? strlen(op) : 0, &why);
			char want[100];
			if (r == ROLE_SCANNER && op && strcmp(op, "checkin") != 0) {
				snprintf(want, sizeof(want),
					 "scans[3].op: '%s' needs a desk or official token", op);
				check(rc, &why, SL_EPERM, want);
			} else {
				check(rc, &why, 0, "");
			}
		}
	/* the op is quoted up to 32 bytes */
	sl_buf why = SL_BUF_INIT;
	ASSERT_EQ(
		net_scan_allowed(ROLE_SCANNER, 0, "abcdefghijklmnopqrstuvwxyz0123456789", 36, &why),
		SL_EPERM);
	ASSERT_STREQ(
		why.data,
		"scans[0].op: 'abcdefghijklmnopqrstuvwxyz012345' needs a desk or official token");
	sl_buf_release(&why);
}

/* roles x topics; the device of a device role is "d1". */
static void topics(void)
{
	static const char *const audit = "the audit trail is for desks and officials";
	static const char *const scans =
		"a device's scans are for that device, desks and officials";
	static const char *const lists = "check-in lists are for desks, scanners and officials";
	static const struct {
		const char *topic;
		const char *who; /* the roles that may follow it ("SROADC") */
		const char *why; /* the reason given to the others */
	} cells[] = {
		{"results/m", "SROADC", NULL}, {"unknown", "SROADC", NULL},
		{"audit", "OAD", audit},       {"audit2", "SROADC", NULL},
		{"scans/d1", "ROADC", scans},  {"scans/d2", "OAD", scans},
		{"scans/d", "OAD", scans},     {"scans/", "SROADC", NULL},
		{"checkin/m", "OADC", lists},  {"checkin/", "SROADC", NULL},
	};
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
		for (int r = 0; r <= 5; r++) {
			const char *t = cells[i].topic;
			/* a device role has its device; spectators and officials none here */
			const char *dev = r == ROLE_READER || r == ROLE_SCANNER || r == ROLE_DESK
						  ? "d1"
						  : NULL;
			const char *got = net_topic_denied(r, dev, t, strlen(t));
			if (strchr(cells[i].who, role_letter[r]))
				ASSERT(got == NULL);
			else
				ASSERT_STREQ(got, cells[i].why);
		}
	/* a reader or scanner without a device follows no device's scans */
	ASSERT_STREQ(net_topic_denied(ROLE_SCANNER, NULL, "scans/d1", 8), scans);
	ASSERT_STREQ(net_topic_denied(ROLE_READER, NULL, "scans/d1", 8), scans);
	/* an official with a device still follows every device's */
	ASSERT(net_topic_denied(ROLE_OFFICIAL, "mix-1", "scans/d1", 8) == NULL);
	/* a desk follows scans of any device, not only its own */
	ASSERT(net_topic_denied(ROLE_DESK, "desk-1", "scans/d1", 8) == NULL);
	/* before hello: the rules of no role */
	ASSERT_STREQ(net_topic_denied(ROLE_NONE, NULL, "audit", 5), audit);
}

#define TESTS(X) X(names) X(roles_x_messages) X(writer_device) X(scope) X(reads) X(scans) X(topics)
T_MAIN()
