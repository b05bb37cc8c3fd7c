/*
 * test_fanout.c: the fan-out (server/net/fanout.c) with a stub session and
 * a stub core.
 *
 * fanout.c is linked with roles.c, slproto and the stubs below: the
 * session's side (session.c) records what is queued to whom instead of
 * writing it, and the core's side serves topics "results/a", "results/b"
 * and "audit" whose deltas say how many changes the tick saw.  No lws, no
 * loop, no Redis.
 *
 * What it proves: a topic's change reaches exactly its subscribers; one
 * encoding per tick and format is shared (the same frame, one reference per
 * subscriber); unsubscribing, closing and losing the right to a topic stop
 * delivery; changes within one tick coalesce into one frame; subscribe
 * answers ok then the snapshot, or ok and the snapshot after the log tail
 * caught up; every frame is released.  Bounded frames: a delta over
 * NET_DELTA_MAX is replaced by the topic's snapshot when that is smaller
 * (still one shared frame), and kept when the snapshot is bigger, which is
 * then not encoded again every tick; a spectator's window is bounded
 * (net_window_limit) and the ok says the limit granted.  Windows of one
 * topic share one delta; links between topics and sessions stay consistent
 * through random subscribes, unsubscribes and closes.
 */
#include "core.h"
#include "net/net_int.h"
#include "slp.h"
#include "store/log.h"
#include "t.h"

/* ---- the stub session (session.c) -------------------------------------- */

static int frames_alive;

struct frame *frame_new(const void *p, size_t len, bool text)
{
	struct frame *f = sl_calloc(1, sizeof(*f) + LWS_PRE + len);

	*f = (struct frame){.refs = 1, .text = text, .len = len};
	memcpy(FRAME_DATA(f), p, len);
	frames_alive++;
	return f;
}

void frame_unref(struct frame *f)
{
	if (f && --f->refs == 0) {
		frames_alive--;
		free(f);
	}
}

/* What reached a session: frames queued by the tick, or replies. */
static struct sent {
	sess *s;
	struct frame *f; /* queued (a reference held here), or NULL */
	char what[16];   /* a reply: "ok", "snapshot", "err" */
	int err;
	int64_t limit; /* an ok's limit, or -1: none */
} sent[1024];
static size_t nsent;

static struct sent *record(sess *s)
{
	ASSERT(nsent < sizeof(sent) / sizeof(sent[0]));
	struct sent *x = &sent[nsent++];
	memset(x, 0, sizeof(*x));
	x->s = s;
	return x;
}

void sess_queue(sess *s, struct frame *f)
{
	f->refs++;
	record(s)->f = f;
}

void sess_send_mp(sess *s, const char *mp, size_t len)
{
	slp_msg m;
	size_t tn;
	const char *t;

	ASSERT(slp_decode(&m, mp, len, SLP_MSGPACK) == 0);
	t = slp_type(&m, &tn);
	struct sent *x = record(s);
	snprintf(x->what, sizeof(x->what), "%.*s", (int)(t ? tn : 0), t ? t : "");
	if (slp_get_int(&m.root, "limit", &x->limit) != 0)
		x->limit = -1;
	slp_msg_release(&m);
}

void sess_send_err(sess *s, uint64_t id, int err, const char *msg)
{
	(void)id;
	(void)msg;
	struct sent *x = record(s);
	snprintf(x->what, sizeof(x->what), "err");
	x->err = err;
}

static void sent_clear(void)
{
	for (size_t i = 0; i < nsent; i++)
		frame_unref(sent[i].f);
	nsent = 0;
}

/* The frames queued to s, in order; *n of them. */
static struct frame *queued(sess *s, size_t k, size_t *n)
{
	struct frame *f = NULL;
	size_t c = 0;

	for (size_t i = 0; i < nsent; i++)
		if (sent[i].s == s && sent[i].f && c++ == k)
			f = sent[i].f;
	if (n) {
		*n = 0;
		for (size_t i = 0; i < nsent; i++)
			*n += sent[i].s == s && sent[i].f;
	}
	return f;
}

static size_t nqueued(sess *s)
{
	size_t n;
	queued(s, 0, &n);
	return n;
}

/* ---- the stub core and log ------------------------------------------------ */

/* athlete/<bib>: the participant of index bib - 1 */
static const char *const known[] = {"results/a", "results/b", "audit", "athlete/1", "athlete/2"};
#define NKNOWN 5
#define ATHLETE0 3 /* known[ATHLETE0 + i] is participant i's topic */
static unsigned changes[NKNOWN]; /* per known topic, since the last clear */
static unsigned asked[NKNOWN];   /* deltas asked for, per known topic */
static bool changed_all, caught_up = true;
static uint64_t nrecords;
static unsigned encodings; /* snapshots and deltas packed */
static unsigned snapshots; /* snapshots packed */
static size_t delta_pad;   /* bytes of padding in each delta */
static size_t snap_pad[NKNOWN]; /* bytes of padding in each topic's snapshot */
static size_t last_limit;  /* the limit of the last snapshot packed */

/* A field of n bytes, to make a message as big as a test wants. */
static void pack_pad(msgpack_packer *pk, size_t n)
{
	char *p = sl_malloc(n + 1);

	memset(p, 'x', n);
	slp_pack_key(pk, "pad");
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, p, n);
	free(p);
}

static int topic_no(const char *t, size_t n)
{
	for (int i = 0; i < NKNOWN; i++)
		if (strlen(known[i]) == n && !memcmp(known[i], t, n))
			return i;
	return -1;
}

static void change(const char *t)
{
	changes[topic_no(t, strlen(t))]++;
	nrecords++;
}

int core_topic_check(const core *c, const char *topic, size_t n)
{
	(void)c;
	if (n == 0 || memchr(topic, ' ', n))
		return SL_EINVAL;
	return topic_no(topic, n) < 0 ? SL_ENOENT : 0;
}

int core_topic_snapshot(const core *c, const char *topic, size_t n, size_t offset, size_t limit,
			msgpack_packer *pk)
{
	size_t pad = snap_pad[topic_no(topic, n)];

	(void)c;
	(void)offset;
	last_limit = limit;
	encodings++;
	snapshots++;
	msgpack_pack_map(pk, 2 + !!pad);
	slp_pack_kv_str(pk, "t", "snapshot");
	slp_pack_kv_strn(pk, "topic", topic, n);
	if (pad)
		pack_pad(pk, pad);
	return 0;
}

int core_topic_delta(const core *c, const char *topic, size_t n, msgpack_packer *pk, bool *empty)
{
	(void)c;
	unsigned k = changes[topic_no(topic, n)];

	asked[topic_no(topic, n)]++;
	*empty = k == 0;
	if (k == 0)
		return 0;
	encodings++;
	msgpack_pack_map(pk, 3 + !!delta_pad);
	slp_pack_kv_str(pk, "t", "delta");
	slp_pack_kv_strn(pk, "topic", topic, n);
	slp_pack_kv_int(pk, "changes", k);
	if (delta_pad)
		pack_pad(pk, delta_pad);
	return 0;
}

uint64_t core_nrecords(const core *c)
{
	(void)c;
	return nrecords;
}

/* The change set: the athletes that changed, and one participant without
 * a followed topic (index 9) per change of any other topic. */
size_t core_changed(const core *c, const uint32_t **pidx)
{
	static uint32_t idx[64];
	size_t n = 0;
	(void)c;
	for (int i = 0; i < NKNOWN; i++) {
		if (i >= ATHLETE0 && changes[i])
			idx[n++] = (uint32_t)(i - ATHLETE0);
		for (unsigned k = 0; i < ATHLETE0 && k < changes[i] && n < 64; k++)
			idx[n++] = 9;
	}
	*pidx = idx;
	return n;
}

const char *core_part_bib(const core *c, uint32_t pidx)
{
	static const char *const bibs[] = {"1", "2"};
	(void)c;
	return pidx < 2 ? bibs[pidx] : pidx == 9 ? "10" : NULL;
}

bool core_changed_all(const core *c)
{
	(void)c;
	return changed_all;
}

void core_changes_clear(core *c)
{
	(void)c;
	memset(changes, 0, sizeof(changes));
	changed_all = false;
}

bool evlog_caught_up(const evlog *l)
{
	(void)l;
	return caught_up;
}

/* ---- fixtures ------------------------------------------------------------- */

static struct fan the_fan;
static char wsi_dummy;

static void setup(void)
{
	memset(&the_fan, 0, sizeof(the_fan));
	the_fan.core = (core *)&the_fan; /* opaque: the stubs ignore it */
	the_fan.log = (evlog *)&the_fan;
	the_fan.was_caught_up = true;
	memset(changes, 0, sizeof(changes));
	memset(asked, 0, sizeof(asked));
	changed_all = false;
	caught_up = true;
	nrecords = 0;
	nsent = 0;
	delta_pad = 0;
	memset(snap_pad, 0, sizeof(snap_pad));
}

static sess *mk(enum slp_format fmt, int role)
{
	sess *s = sl_calloc(1, sizeof(*s));
	s->wsi = (struct lws *)&wsi_dummy;
	s->fmt = fmt;
	s->role = role;
	s->refs = 1;
	return s;
}

static void sub(sess *s, const char *t)
{
	ASSERT_EQ(fanout_subscribe(&the_fan, s, 7, t, strlen(t), 0, 0, 0), 0);
}

static void done(sess **ss, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fanout_drop_sess(ss[i]);
		free(ss[i]);
	}
	fanout_free(&the_fan);
	sent_clear();
	ASSERT_EQ(the_fan.ntopics, 0);
	ASSERT_EQ(frames_alive, 0);
}

/* The topic of a queued frame, checked against want; its type too. */
static void frame_is(struct frame *f, const char *type, const char *topic)
{
	slp_msg m;
	const char *s;
	size_t n;

	ASSERT(f != NULL);
	if (!f)
		return;
	ASSERT(slp_decode(&m, (const char *)FRAME_DATA(f), f->len,
			  f->text ? SLP_JSON : SLP_MSGPACK) == 0);
	s = slp_type(&m, &n);
	ASSERT(s && n == strlen(type) && !memcmp(s, type, n));
	ASSERT(slp_get_str(&m.root, "topic", &s, &n) == 0 && n == strlen(topic) &&
	       !memcmp(s, topic, n));
	slp_msg_release(&m);
}

/* ---- tests ------------------------------------------------------------------ */

/* A change of one topic reaches its subscribers, each once, and nobody else. */
static void reaches_exactly_subscribers(void)
{
	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_SPECTATOR), mk(SLP_MSGPACK, ROLE_SPECTATOR),
		      mk(SLP_JSON, ROLE_SPECTATOR), mk(SLP_MSGPACK, ROLE_SPECTATOR),
		      mk(SLP_JSON, ROLE_SPECTATOR)};
	sub(ss[0], "results/a");
	sub(ss[1], "results/a");
	sub(ss[2], "results/a");
	sub(ss[3], "results/b");
	/* ss[4] follows nothing */
	sent_clear();

	change("results/a");
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[0]), 1);
	ASSERT_EQ(nqueued(ss[1]), 1);
	ASSERT_EQ(nqueued(ss[2]), 1);
	ASSERT_EQ(nqueued(ss[3]), 0);
	ASSERT_EQ(nqueued(ss[4]), 0);
	frame_is(queued(ss[0], 0, NULL), "delta", "results/a");
	frame_is(queued(ss[2], 0, NULL), "delta", "results/a");
	ASSERT(!queued(ss[0], 0, NULL)->text);
	ASSERT(queued(ss[2], 0, NULL)->text);

	sent_clear();
	change("results/b");
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[0]) + nqueued(ss[1]) + nqueued(ss[2]) + nqueued(ss[4]), 0);
	ASSERT_EQ(nqueued(ss[3]), 1);
	frame_is(queued(ss[3], 0, NULL), "delta", "results/b");
	done(ss, 5);
}

/* One encoding per topic and format, the same frame queued to each. */
static void one_encoding_shared(void)
{
	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_SPECTATOR), mk(SLP_MSGPACK, ROLE_SPECTATOR),
		      mk(SLP_MSGPACK, ROLE_SPECTATOR), mk(SLP_JSON, ROLE_SPECTATOR),
		      mk(SLP_JSON, ROLE_SPECTATOR)};
	for (size_t i = 0; i < 5; i++)
		sub(ss[i], "results/a");
	sent_clear();

	encodings = 0;
	change("results/a");
	fanout_tick(&the_fan);
	ASSERT_EQ(encodings, 1);
	struct frame *mp = queued(ss[0], 0, NULL), *js = queued(ss[3], 0, NULL);
	ASSERT(mp && js && mp != js);
	ASSERT(queued(ss[1], 0, NULL) == mp);
	ASSERT(queued(ss[2], 0, NULL) == mp);
	ASSERT(queued(ss[4], 0, NULL) == js);
	/* the tick kept no reference: one per subscriber's queue */
	ASSERT_EQ(mp->refs, 3);
	ASSERT_EQ(js->refs, 2);
	ASSERT_EQ(frames_alive, 2);

	/* a snapshot (config changed) is shared the same way, and bulk */
	sent_clear();
	changed_all = true;
	encodings = 0;
	fanout_tick(&the_fan);
	ASSERT_EQ(encodings, 1);
	mp = queued(ss[0], 0, NULL);
	ASSERT(mp && mp->refs == 3 && queued(ss[2], 0, NULL) == mp);
	frame_is(mp, "snapshot", "results/a");
	done(ss, 5);
}

/* Unsubscribing stops delivery; the last one out frees the topic. */
static void unsubscribe_stops(void)
{
	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_SPECTATOR), mk(SLP_MSGPACK, ROLE_SPECTATOR)};
	sub(ss[0], "results/a");
	sub(ss[1], "results/a");
	sub(ss[0], "results/b");
	ASSERT_EQ(the_fan.ntopics, 2);
	sent_clear();

	fanout_unsubscribe(ss[0], "results/a", 9);
	change("results/a");
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[0]), 0);
	ASSERT_EQ(nqueued(ss[1]), 1);

	fanout_unsubscribe(ss[1], "results/a", 9);
	ASSERT_EQ(the_fan.ntopics, 1);
	sent_clear();
	change("results/a");
	change("results/b");
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[1]), 0);
	ASSERT_EQ(nqueued(ss[0]), 1);
	frame_is(queued(ss[0], 0, NULL), "delta", "results/b");

	/* unsubscribing what one does not follow changes nothing */
	fanout_unsubscribe(ss[1], "results/b", 9);
	ASSERT_EQ(ss[0]->nsubs, 1);
	done(ss, 2);
}

/* Changes within a tick become one frame; a tick without any sends nothing. */
static void coalesced_within_tick(void)
{
	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_SPECTATOR), mk(SLP_JSON, ROLE_SPECTATOR)};
	sub(ss[0], "results/a");
	sub(ss[1], "results/a");
	sent_clear();

	change("results/a");
	change("results/a");
	change("results/a");
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[0]), 1);
	ASSERT_EQ(nqueued(ss[1]), 1);
	struct frame *f = queued(ss[0], 0, NULL);
	slp_msg m;
	int64_t k = 0;
	ASSERT(slp_decode(&m, (const char *)FRAME_DATA(f), f->len, SLP_MSGPACK) == 0);
	ASSERT(slp_get_int(&m.root, "changes", &k) == 0 && k == 3);
	slp_msg_release(&m);

	sent_clear();
	encodings = 0;
	fanout_tick(&the_fan);
	fanout_tick(&the_fan);
	ASSERT_EQ(nsent, 0);
	ASSERT_EQ(encodings, 0);
	done(ss, 2);
}

/* subscribe: ok, then the snapshot; before the tail caught up, the snapshot
 * waits for the first tick after. */
static void subscribe_then_snapshot(void)
{
	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_SPECTATOR), mk(SLP_MSGPACK, ROLE_SPECTATOR)};
	sub(ss[0], "results/a");
	ASSERT_EQ(nsent, 2);
	ASSERT_STREQ(sent[0].what, "ok");
	ASSERT_STREQ(sent[1].what, "snapshot");
	sent_clear();

	caught_up = false;
	the_fan.was_caught_up = false;
	sub(ss[1], "results/b");
	ASSERT_EQ(nsent, 1);
	ASSERT_STREQ(sent[0].what, "ok");
	sent_clear();
	fanout_tick(&the_fan); /* still catching up: nothing */
	ASSERT_EQ(nsent, 0);
	caught_up = true;
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[1]), 1);
	frame_is(queued(ss[1], 0, NULL), "snapshot", "results/b");
	ASSERT_EQ(nqueued(ss[0]), 0);

	/* a second subscribe of the same key: no second entry, one frame */
	sent_clear();
	sub(ss[0], "results/a");
	ASSERT_EQ(ss[0]->nsubs, 1);
	sent_clear();
	change("results/a");
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[0]), 1);
	done(ss, 2);
}

/* What fanout_subscribe refuses, for the handler to word. */
static void subscribe_refused(void)
{
	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_SPECTATOR)};
	ASSERT_EQ(fanout_subscribe(&the_fan, ss[0], 1, "results/zz", 10, 0, 0, 0), SL_ENOENT);
	ASSERT_EQ(fanout_subscribe(&the_fan, ss[0], 1, "results a", 9, 0, 0, 0), SL_EINVAL);
	ASSERT_EQ(nsent, 0);
	ASSERT_EQ(the_fan.ntopics, 0);
	/* an unknown topic before the tail caught up: may exist later */
	caught_up = false;
	ASSERT_EQ(fanout_subscribe(&the_fan, ss[0], 1, "results/zz", 10, 0, 0, 0), 0);
	caught_up = true;
	fanout_unsubscribe(ss[0], "results/zz", 10);
	sent_clear();
	/* at most NET_MAX_SUBS: windows of one topic are topics of their own */
	for (size_t i = 0; i < NET_MAX_SUBS; i++)
		ASSERT_EQ(fanout_subscribe(&the_fan, ss[0], 1, "results/a", 9, i, 10, 10), 0);
	ASSERT_EQ(fanout_subscribe(&the_fan, ss[0], 1, "results/a", 9, 999, 10, 10), SL_ERANGE);
	ASSERT_EQ(the_fan.ntopics, NET_MAX_SUBS);
	done(ss, 1);
}

/* Closing sessions are skipped; a dropped session leaves every topic. */
static void closed_and_dropped(void)
{
	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_SPECTATOR), mk(SLP_MSGPACK, ROLE_SPECTATOR),
		      mk(SLP_MSGPACK, ROLE_SPECTATOR)};
	for (size_t i = 0; i < 3; i++)
		sub(ss[i], "results/a");
	sub(ss[2], "results/b");
	sent_clear();
	ss[0]->close_code = 4008;
	ss[1]->wsi = NULL;
	change("results/a");
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[0]), 0);
	ASSERT_EQ(nqueued(ss[1]), 0);
	ASSERT_EQ(nqueued(ss[2]), 1);

	fanout_drop_sess(ss[2]);
	ASSERT_EQ(ss[2]->nsubs, 0);
	ASSERT_EQ(the_fan.ntopics, 1); /* results/b went with its last subscriber */
	sent_clear();
	change("results/a");
	fanout_tick(&the_fan);
	ASSERT_EQ(nsent, 0);
	done(ss, 3);
}

/* A session that loses its role loses the topics the new one may not follow,
 * and the windows wider than the new role's (limit 0: every row). */
static void denied_dropped(void)
{
	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_DESK), mk(SLP_MSGPACK, ROLE_OFFICIAL)};
	sub(ss[0], "audit");
	sub(ss[0], "results/a"); /* limit 0 */
	ASSERT_EQ(fanout_subscribe(&the_fan, ss[0], 8, "results/a", 9, 0, NET_SPECTATOR_ROWS, 0),
		  0);
	sub(ss[1], "audit");
	sent_clear();
	ss[0]->role = ROLE_SPECTATOR;
	fanout_drop_denied(ss[0]);
	ASSERT_EQ(ss[0]->nsubs, 1);
	ASSERT_EQ(ss[0]->subs[0].t->limit, NET_SPECTATOR_ROWS);
	change("audit");
	change("results/a");
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[0]), 1);
	frame_is(queued(ss[0], 0, NULL), "delta", "results/a");
	ASSERT_EQ(nqueued(ss[1]), 1);
	frame_is(queued(ss[1], 0, NULL), "delta", "audit");
	done(ss, 2);
}

/* The length of the delta frame a tick queues to s, with delta_pad bytes. */
static size_t delta_len(sess *s, size_t pad)
{
	size_t len;

	sent_clear();
	delta_pad = pad;
	change("results/a");
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(s), 1);
	frame_is(queued(s, 0, NULL), "delta", "results/a");
	len = queued(s, 0, NULL)->len;
	sent_clear();
	return len;
}

/*
 * A delta over NET_DELTA_MAX becomes the topic's snapshot when that is
 * smaller: one frame per format, shared by every subscriber; a delta of
 * exactly NET_DELTA_MAX stays a delta; a topic whose snapshot is bigger (a
 * whole ranking) keeps its delta, and is not encoded again to learn it.
 */
static void big_delta_becomes_snapshot(void)
{
	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_SPECTATOR), mk(SLP_MSGPACK, ROLE_SPECTATOR),
		      mk(SLP_JSON, ROLE_SPECTATOR), mk(SLP_MSGPACK, ROLE_OFFICIAL)};
	snap_pad[0] = 1000;              /* results/a: a window */
	snap_pad[1] = 4 * NET_DELTA_MAX; /* results/b: a whole ranking */
	sub(ss[0], "results/a");
	sub(ss[1], "results/a");
	sub(ss[2], "results/a");
	sub(ss[3], "results/b");
	sent_clear();

	/* the bound itself: a delta of NET_DELTA_MAX bytes is sent as it is */
	size_t head = delta_len(ss[0], 60000) - 60000;
	ASSERT_EQ(delta_len(ss[0], NET_DELTA_MAX - head), NET_DELTA_MAX);

	/* one byte more: the snapshot, shared */
	delta_pad = NET_DELTA_MAX - head + 1;
	snapshots = 0;
	change("results/a");
	change("results/b");
	fanout_tick(&the_fan);
	ASSERT_EQ(snapshots, 1); /* results/a's; results/b's last one was bigger */
	struct frame *mp = queued(ss[0], 0, NULL), *js = queued(ss[2], 0, NULL);
	ASSERT_EQ(nqueued(ss[0]), 1);
	frame_is(mp, "snapshot", "results/a");
	frame_is(js, "snapshot", "results/a");
	ASSERT(queued(ss[1], 0, NULL) == mp && mp->refs == 2 && js->refs == 1);
	ASSERT(mp->len < NET_DELTA_MAX);
	ASSERT_EQ(nqueued(ss[3]), 1);
	frame_is(queued(ss[3], 0, NULL), "delta", "results/b");
	ASSERT(queued(ss[3], 0, NULL)->len > NET_DELTA_MAX);

	/* a window whose snapshot grew past the delta keeps the delta */
	sent_clear();
	snap_pad[0] = 2 * NET_DELTA_MAX;
	changed_all = true;
	fanout_tick(&the_fan); /* fresh snapshots: results/a's is now big */
	sent_clear();
	change("results/a");
	snapshots = 0;
	fanout_tick(&the_fan);
	ASSERT_EQ(snapshots, 0);
	frame_is(queued(ss[0], 0, NULL), "delta", "results/a");
	done(ss, 4);
}

/* A spectator's window is bounded; the ok says what it got.  Others get
 * what they ask. */
static void spectator_window(void)
{
	ASSERT_EQ(net_window_limit(ROLE_NONE, "results/a", 9, 0), NET_SPECTATOR_ROWS);
	ASSERT_EQ(net_window_limit(ROLE_SPECTATOR, "results/a", 9, 0), NET_SPECTATOR_ROWS);
	ASSERT_EQ(net_window_limit(ROLE_NONE, "results/a", 9, NET_SPECTATOR_ROWS),
		  NET_SPECTATOR_ROWS);
	ASSERT_EQ(net_window_limit(ROLE_NONE, "results/a", 9, NET_SPECTATOR_ROWS + 1),
		  NET_SPECTATOR_ROWS);
	ASSERT_EQ(net_window_limit(ROLE_NONE, "unknown", 7, 100000000), NET_SPECTATOR_ROWS);
	ASSERT_EQ(net_window_limit(ROLE_SPECTATOR, "results/a", 9, 100), 100);
	ASSERT_EQ(net_window_limit(ROLE_NONE, "finishes/a", 10, 0), 0); /* the last 50 */
	ASSERT_EQ(net_window_limit(ROLE_NONE, "finishes/a", 10, 5000), NET_SPECTATOR_ROWS);
	ASSERT_EQ(net_window_limit(ROLE_NONE, "finishes/", 9, 0), NET_SPECTATOR_ROWS);
	ASSERT_EQ(net_window_limit(ROLE_OFFICIAL, "results/a", 9, 0), 0);
	ASSERT_EQ(net_window_limit(ROLE_ADMIN, "results/a", 9, 5000), 5000);
	ASSERT_EQ(net_window_limit(ROLE_DESK, "audit", 5, 0), 0);
	ASSERT_EQ(net_window_limit(ROLE_READER, "results/a", 9, 0), 0);

	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_NONE)};
	ASSERT_EQ(fanout_subscribe(&the_fan, ss[0], 3, "results/a", 9, 0, NET_SPECTATOR_ROWS, 0),
		  0);
	ASSERT_EQ(nsent, 2);
	ASSERT_STREQ(sent[0].what, "ok");
	ASSERT_EQ(sent[0].limit, NET_SPECTATOR_ROWS);
	ASSERT_STREQ(sent[1].what, "snapshot");
	ASSERT_EQ(last_limit, NET_SPECTATOR_ROWS);
	sent_clear();
	ASSERT_EQ(fanout_subscribe(&the_fan, ss[0], 4, "results/b", 9, 0, 10, 10), 0);
	ASSERT_STREQ(sent[0].what, "ok");
	ASSERT_EQ(sent[0].limit, -1); /* as asked: nothing said */
	ASSERT_EQ(last_limit, 10);
	done(ss, 1);
}

static void sub_window(sess *s, const char *t, size_t offset, size_t limit)
{
	ASSERT_EQ(fanout_subscribe(&the_fan, s, 7, t, strlen(t), offset, limit, limit), 0);
}

/*
 * Windows of one topic (different offsets and limits) share its delta:
 * encoded once a tick, the same frame per format for all of them.
 */
static void windows_share_delta(void)
{
	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_OFFICIAL), mk(SLP_MSGPACK, ROLE_OFFICIAL),
		      mk(SLP_JSON, ROLE_OFFICIAL), mk(SLP_JSON, ROLE_OFFICIAL)};
	sub_window(ss[0], "results/a", 0, 0);
	sub_window(ss[1], "results/a", 100, 50);
	sub_window(ss[2], "results/a", 100, 50);
	sub_window(ss[3], "results/a", 0, 20);
	ASSERT_EQ(the_fan.ntopics, 3);
	sent_clear();
	change("results/a");
	encodings = 0;
	fanout_tick(&the_fan);
	ASSERT_EQ(encodings, 1);
	struct frame *mp = queued(ss[0], 0, NULL), *js = queued(ss[2], 0, NULL);
	frame_is(mp, "delta", "results/a");
	frame_is(js, "delta", "results/a");
	ASSERT(queued(ss[1], 0, NULL) == mp && queued(ss[3], 0, NULL) == js);
	ASSERT(mp && mp->refs == 2 && js && js->refs == 2); /* the queues' references only */
	done(ss, 4);
}

/* Every link between a topic and a session knows its place on the other side. */
static void links_consistent(sess **ss, size_t n)
{
	size_t windows = 0;

	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < the_fan.chans[k].n; i++) {
			struct chan *c = the_fan.chans[k].v[i];
			ASSERT(c->at == i && c->athlete == k && c->nwins > 0);
			for (size_t w = 0; w < c->nwins; w++, windows++) {
				struct topic *t = c->wins[w];
				ASSERT(t->c == c && t->at == w && t->nsubs > 0);
				for (size_t j = 0; j < t->nsubs; j++) {
					struct topic_sub ts = t->subs[j];
					ASSERT(ts.at < ts.s->nsubs && ts.s->subs[ts.at].t == t &&
					       ts.s->subs[ts.at].at == j);
				}
			}
		}
	}
	ASSERT_EQ(windows, the_fan.ntopics);
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < ss[k]->nsubs; i++) {
			struct sess_sub x = ss[k]->subs[i];
			ASSERT(x.at < x.t->nsubs && x.t->subs[x.at].s == ss[k] &&
			       x.t->subs[x.at].at == i);
		}
}

/*
 * Many sessions subscribe, unsubscribe and close in a random order: the
 * links stay consistent, and a tick reaches each session once per window it
 * follows of a changed topic, never a window it left.
 */
static void random_subscriptions(void)
{
	enum { NS = 40, NW = 9 };
	static const size_t offs[3] = {0, 10, 20};
	bool has[NS][NW] = {{false}};
	sess *ss[NS];
	uint64_t x = 88172645463325252ULL;

	setup();
	for (size_t i = 0; i < NS; i++)
		ss[i] = mk(i % 3 ? SLP_MSGPACK : SLP_JSON, ROLE_OFFICIAL);
	for (int op = 0; op < 3000; op++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t k = x % NS, w = (x >> 8) % NW, what = (x >> 16) % 8;
		const char *name = known[w / 3];
		if (what < 5 && !has[k][w]) {
			sub_window(ss[k], name, offs[w % 3], 10);
			has[k][w] = true;
		} else if (what < 7) {
			fanout_unsubscribe(ss[k], name, strlen(name));
			for (size_t v = w / 3 * 3; v < w / 3 * 3 + 3; v++)
				has[k][v] = false;
		} else {
			fanout_drop_sess(ss[k]);
			memset(has[k], 0, sizeof(has[k]));
		}
		links_consistent(ss, NS);
		if (op % 100 != 99)
			continue;
		sent_clear();
		change("results/a");
		change("audit");
		fanout_tick(&the_fan);
		for (size_t i = 0; i < NS; i++) {
			size_t want = 0;
			for (size_t v = 0; v < NW; v++)
				want += has[i][v] && v / 3 != 1; /* results/b did not change */
			ASSERT_EQ(nqueued(ss[i]), want);
		}
	}
	sent_clear();
	done(ss, NS);
}

/*
 * athlete/<bib> topics are ticked from the change set: the core is never
 * asked for the delta of an athlete who did not change; all of them get
 * snapshots after a config change; one subscribed before the tail caught
 * up gets its snapshot with the first tick after, changed or not.
 */
static void athletes_by_change_set(void)
{
	setup();
	sess *ss[] = {mk(SLP_MSGPACK, ROLE_SPECTATOR), mk(SLP_JSON, ROLE_SPECTATOR),
		      mk(SLP_MSGPACK, ROLE_SPECTATOR), mk(SLP_MSGPACK, ROLE_SPECTATOR)};
	sub(ss[0], "athlete/1");
	sub(ss[1], "athlete/2");
	sub(ss[2], "results/a");
	sent_clear();
	change("athlete/1");
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[0]), 1);
	frame_is(queued(ss[0], 0, NULL), "delta", "athlete/1");
	ASSERT_EQ(nqueued(ss[1]), 0);
	ASSERT_EQ(asked[ATHLETE0 + 1], 0); /* athlete/2 did not change: not asked */
	ASSERT_EQ(asked[ATHLETE0], 1);
	ASSERT_EQ(nqueued(ss[2]), 0);

	sent_clear();
	change("athlete/2");
	change("results/a");
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[0]), 0);
	frame_is(queued(ss[1], 0, NULL), "delta", "athlete/2");
	frame_is(queued(ss[2], 0, NULL), "delta", "results/a");
	ASSERT_EQ(asked[ATHLETE0], 1);

	sent_clear();
	changed_all = true;
	fanout_tick(&the_fan);
	frame_is(queued(ss[0], 0, NULL), "snapshot", "athlete/1");
	frame_is(queued(ss[1], 0, NULL), "snapshot", "athlete/2");

	/* subscribed while the tail catches up again: its snapshot comes with
	 * the first tick after, though athlete/2 has not changed */
	sent_clear();
	caught_up = false;
	sub_window(ss[3], "athlete/2", 0, 5); /* a window of its own */
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[3]), 0);
	caught_up = true;
	fanout_tick(&the_fan);
	ASSERT_EQ(nqueued(ss[3]), 1);
	frame_is(queued(ss[3], 0, NULL), "snapshot", "athlete/2");
	ASSERT_EQ(nqueued(ss[1]), 0); /* the other window of athlete/2: nothing */
	done(ss, 4);
}

#define TESTS(X)                                                                                   \
	X(reaches_exactly_subscribers)                                                             \
	X(one_encoding_shared)                                                                     \
	X(unsubscribe_stops) X(coalesced_within_tick) X(subscribe_then_snapshot)                   \
		X(subscribe_refused) X(closed_and_dropped) X(denied_dropped)                       \
			X(big_delta_becomes_snapshot) X(spectator_window)                          \
				X(windows_share_delta) X(random_subscriptions)             \
					X(athletes_by_change_set)
T_MAIN()
