/*
 * test_session.c: a session's outbound queue and its cap (server/net/
 * session.c) with a stub lws: what would go on the wire is recorded, the
 * socket's state (choked, lws holding part of a write) is set by the test.
 *
 * What it proves: unsent bytes up to the cap are queued and one more byte
 * closes the session with 4008 at once (queue freed there, the close frame
 * written once, the connection killed without waiting for a writeable
 * callback); a spectator's cap is the smaller one, a frame bigger than the
 * cap still goes to a session with nothing unsent; what lws kept of a write
 * counts; frames over NET_WRITE_CHUNK go as fragments (binary without FIN,
 * continuations, the last with FIN) while the shared frame's bytes stay as
 * they were for the other subscribers; 512 frames at most; a frame queued
 * to an idle, writable session is written at once (no writeable callback),
 * else waits its turn; a flush close is cut off after NET_CLOSE_FLUSH_S.
 */
#include "net/net_int.h"
#include "t.h"

/* ---- the stub lws and libuv ------------------------------------------------ */

static struct wr {
	int wp;
	size_t len;
	unsigned char first, last; /* first and last payload bytes */
} wrs[64];
static size_t nwr;
static bool partial, choked;
static bool keep; /* the next write: the kernel takes part, lws keeps the rest */
static bool fail; /* the next write fails (the peer is gone) */
static int kills, arms;
static uint64_t now_ms; /* uv_now */

const char *lws_get_peer_simple(struct lws *wsi, char *name, size_t namelen)
{
	(void)wsi;
	snprintf(name, namelen, "127.0.0.1");
	return name;
}

int lws_callback_on_writable(struct lws *wsi)
{
	(void)wsi;
	arms++;
	return 1;
}

int lws_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol wp)
{
	(void)wsi;
	if (fail)
		return -1;
	ASSERT(nwr < sizeof(wrs) / sizeof(wrs[0]));
	wrs[nwr++] = (struct wr){.wp = (int)wp, .len = len, .first = buf[0], .last = buf[len - 1]};
	memset(buf - 10, 0xEE, 10); /* lws writes the header in front */
	partial |= keep;
	keep = false;
	return (int)len;
}

int lws_partial_buffered(struct lws *wsi)
{
	(void)wsi;
	return partial;
}

int lws_send_pipe_choked(struct lws *wsi)
{
	(void)wsi;
	return choked;
}

void lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs)
{
	(void)wsi;
	(void)reason;
	if (secs == LWS_TO_KILL_SYNC)
		kills++;
}

uint64_t uv_now(const uv_loop_t *loop)
{
	(void)loop;
	return now_ms;
}

uint64_t uv_hrtime(void)
{
	return 0;
}

/* ---- fixtures ----------------------------------------------------------------- */

static net the_net;
static char wsi_dummy;
#define WSI ((struct lws *)&wsi_dummy)

static sess *setup(int role, size_t cap)
{
	memset(&the_net, 0, sizeof(the_net));
	the_net.sessions.next = the_net.sessions.prev = &the_net.sessions;
	the_net.queue_cap = 4 * cap;
	the_net.spectator_cap = cap;
	nwr = 0;
	partial = choked = keep = fail = false;
	kills = arms = 0;
	now_ms = 0;
	sess *s = sess_new(&the_net, WSI, SLP_MSGPACK);
	s->role = role;
	return s;
}

/* A frame of len bytes, each its index mod 251 (so pieces can be told apart). */
static struct frame *mkframe(size_t len)
{
	unsigned char *p = sl_malloc(len);

	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i % 251);
	struct frame *f = frame_new(p, len, false);
	free(p);
	return f;
}

static void queue_new(sess *s, size_t len)
{
	struct frame *f = mkframe(len);
	sess_queue(s, f);
	frame_unref(f);
}

static void teardown(sess *s)
{
	sess_closed(s); /* unlinks and drops lws's reference */
	sess_kills_release(&the_net); /* and the kill list's: frees s */
	ASSERT_EQ(the_net.nsessions, 0);
}

/* The next tick ends s's connection, once; not before. */
static void ended_by_tick(sess *s)
{
	int before = kills;

	ASSERT_EQ(the_net.nkills, 1);
	ASSERT(the_net.kills[0].s == s);
	ASSERT_EQ(kills, before);
	sess_tick(&the_net);
	ASSERT_EQ(kills, before + 1);
	ASSERT_EQ(the_net.nkills, 0);
	sess_tick(&the_net);
	ASSERT_EQ(kills, before + 1);
}

/* s is open, and one byte more closes it with 4008; then s goes. */
static void one_more_closes(sess *s)
{
	ASSERT_EQ(s->close_code, 0);
	queue_new(s, 1);
	ASSERT_EQ(s->close_code, NET_CLOSE_SLOW);
	teardown(s);
}

/* ---- tests ---------------------------------------------------------------------- */

/* Up to the cap is queued; one byte more closes with 4008, there and then. */
static void cap_and_cap_plus_one(void)
{
	sess *s = setup(ROLE_SPECTATOR, 100000);
	choked = true; /* the client does not read */
	queue_new(s, 60000);
	queue_new(s, 40000); /* exactly the cap */
	ASSERT_EQ(sess_unsent(s), 100000);
	ASSERT_EQ(s->close_code, 0);
	ASSERT_EQ(nwr, 0);
	queue_new(s, 1);
	ASSERT_EQ(s->close_code, NET_CLOSE_SLOW);
	ASSERT_EQ(sess_unsent(s), 0); /* the queue went at once */
	ASSERT_EQ(s->qhead, s->qtail);
	ASSERT_EQ(nwr, 1);             /* the close frame, written now */
	ASSERT_EQ(wrs[0].wp, 4);       /* LWS_WRITE_CLOSE */
	ASSERT_EQ(wrs[0].first, 0x0F); /* 4008 = 0x0FA8 */
	ASSERT_EQ(the_net.slow_closed, 1);
	ASSERT_EQ(the_net.slow_max_unsent, 100000);
	ended_by_tick(s); /* no waiting for a writeable callback */
	ASSERT_EQ(the_net.slow_closed, 0); /* reported by the tick */
	/* nothing more is queued, and the writeable callback adds no second close */
	queue_new(s, 10);
	ASSERT_EQ(sess_unsent(s), 0);
	ASSERT_EQ(sess_on_writeable(s, WSI), -1);
	ASSERT_EQ(nwr, 1);
	teardown(s);
}

/* A spectator's cap is the spectator one; others get queue_cap. */
static void caps_by_role(void)
{
	int roles[] = {ROLE_NONE,  ROLE_SPECTATOR, ROLE_READER, ROLE_OFFICIAL,
		       ROLE_ADMIN, ROLE_DESK,      ROLE_SCANNER};
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		sess *s = setup(roles[i], 1000);
		choked = true;
		bool spectator = roles[i] == ROLE_NONE || roles[i] == ROLE_SPECTATOR;
		ASSERT_EQ(sess_cap(s), spectator ? 1000 : 4000);
		queue_new(s, 1000);
		queue_new(s, 1);
		ASSERT_EQ(s->close_code, spectator ? NET_CLOSE_SLOW : 0);
		teardown(s);
	}
}

/* A frame bigger than the cap goes to a session with nothing unsent. */
static void big_frame_alone(void)
{
	sess *s = setup(ROLE_NONE, 1000);
	choked = true;
	queue_new(s, 5000);
	ASSERT_EQ(sess_unsent(s), 5000);
	one_more_closes(s);
}

/* What lws kept of a write counts; without it, the close frame would cut
 * into a frame, so it is not written, and the connection is killed all the same. */
static void lws_partial_counts(void)
{
	sess *s = setup(ROLE_NONE, 10000);
	choked = true;
	queue_new(s, 6000);
	partial = true; /* the kernel took part of it: lws keeps the rest */
	ASSERT_EQ(sess_on_writeable(s, WSI), 0);
	ASSERT_EQ(nwr, 1);
	ASSERT(sess_unsent(s) >= 6000);
	queue_new(s, 3000);
	ASSERT_EQ(s->close_code, 0);
	queue_new(s, 3000); /* 6000 kept by lws + 6000 queued > 10000 */
	ASSERT_EQ(s->close_code, NET_CLOSE_SLOW);
	ASSERT_EQ(nwr, 1); /* no close frame behind a partial */
	ended_by_tick(s);
	teardown(s);
}

/* A frame over NET_WRITE_CHUNK goes as fragments; the shared frame keeps
 * its bytes; a choked socket stops the writing until the next callback. */
static void fragments(void)
{
	sess *s = setup(ROLE_OFFICIAL, 1u << 20);
	size_t len = 2 * NET_WRITE_CHUNK + 100;
	struct frame *f = mkframe(len), *g = mkframe(10);

	sess_queue(s, f);
	sess_queue(s, g);
	ASSERT_EQ(arms, 1); /* the second found the callback asked for */
	ASSERT_EQ(sess_on_writeable(s, WSI), 0);
	ASSERT_EQ(nwr, 4);
	ASSERT_EQ(wrs[0].wp, LWS_WRITE_BINARY | LWS_WRITE_NO_FIN);
	ASSERT_EQ(wrs[1].wp, LWS_WRITE_CONTINUATION | LWS_WRITE_NO_FIN);
	ASSERT_EQ(wrs[2].wp, LWS_WRITE_CONTINUATION);
	ASSERT_EQ(wrs[3].wp, LWS_WRITE_BINARY);
	ASSERT_EQ(wrs[0].len + wrs[1].len + wrs[2].len, len);
	ASSERT_EQ(wrs[1].first, NET_WRITE_CHUNK % 251);
	ASSERT_EQ(wrs[2].last, (len - 1) % 251);
	for (size_t i = 0; i < len; i++)
		if (FRAME_DATA(f)[i] != i % 251) {
			ASSERT(!"a fragment's header overwrote the shared frame");
			break;
		}
	ASSERT_EQ(sess_unsent(s), 0);

	/* choked after the first fragment: the rest waits, and counts */
	nwr = 0;
	choked = true;
	sess_queue(s, f);
	ASSERT_EQ(sess_on_writeable(s, WSI), 0);
	ASSERT_EQ(nwr, 1);
	ASSERT_EQ(sess_unsent(s), len - NET_WRITE_CHUNK);
	/* closed mid-message: the close frame may come between fragments */
	sess_close(s, NET_CLOSE_SLOW, "too slow", false);
	ASSERT_EQ(nwr, 2);
	ASSERT_EQ(wrs[1].wp, 4);
	ASSERT_EQ(f->refs, 1); /* the queue let go of it */
	frame_unref(f);
	frame_unref(g);
	teardown(s);
}

/* At most NET_QUEUE_MAX_FRAMES frames wait. */
static void frame_count(void)
{
	sess *s = setup(ROLE_OFFICIAL, 1u << 20);
	choked = true;
	for (int i = 0; i < NET_QUEUE_MAX_FRAMES; i++)
		queue_new(s, 1);
	one_more_closes(s);
}

/* A flush close sends the queue first, then the close frame. */
static void flush_close(void)
{
	sess *s = setup(ROLE_NONE, 1000);
	choked = true;
	queue_new(s, 10);
	sess_close(s, 1001, "server shutting down", true);
	ASSERT_EQ(kills, 0);
	ASSERT_EQ(nwr, 0);
	/* a client that never reads is cut off, by the tick NET_CLOSE_FLUSH_S later */
	now_ms = NET_CLOSE_FLUSH_S * 1000 - 1;
	sess_tick(&the_net);
	ASSERT_EQ(kills, 0);
	ASSERT_EQ(the_net.nkills, 1);
	now_ms++;
	sess_tick(&the_net);
	ASSERT_EQ(kills, 1);
	ASSERT_EQ(the_net.nkills, 0);
	ASSERT_EQ(sess_on_writeable(s, WSI), -1);
	ASSERT_EQ(nwr, 2);
	ASSERT_EQ(wrs[0].wp, LWS_WRITE_BINARY);
	ASSERT_EQ(wrs[1].wp, 4);
	teardown(s);
}

/*
 * A frame queued to a session with nothing else to send is written at
 * once when the socket is writable, without a writeable callback; behind
 * anything unsent, or on a choked socket, it waits for the callback.
 */
static void direct_write(void)
{
	sess *s = setup(ROLE_NONE, 1u << 20);

	queue_new(s, 100);
	ASSERT_EQ(nwr, 1);
	ASSERT_EQ(wrs[0].wp, LWS_WRITE_BINARY);
	ASSERT_EQ(wrs[0].len, 100);
	ASSERT_EQ(arms, 0);
	ASSERT_EQ(sess_unsent(s), 0);

	choked = true; /* the kernel holds more than half its unsent bound */
	queue_new(s, 50);
	ASSERT_EQ(nwr, 1);
	ASSERT_EQ(arms, 1);
	ASSERT_EQ(sess_unsent(s), 50);
	choked = false;
	queue_new(s, 60); /* behind the 50: waits, in order */
	ASSERT_EQ(nwr, 1);
	ASSERT_EQ(arms, 1);
	ASSERT_EQ(sess_on_writeable(s, WSI), 0);
	ASSERT_EQ(nwr, 3);
	ASSERT_EQ(wrs[1].len, 50);
	ASSERT_EQ(wrs[2].len, 60);

	keep = true; /* the kernel takes part of the next write */
	queue_new(s, 70);
	ASSERT_EQ(nwr, 4);
	ASSERT(sess_unsent(s) >= 70);
	queue_new(s, 80); /* not while lws holds part of the 70 */
	ASSERT_EQ(nwr, 4);
	ASSERT_EQ(arms, 2);
	ASSERT(sess_unsent(s) >= 150);
	partial = false; /* lws sent it: the callback comes */
	ASSERT_EQ(sess_on_writeable(s, WSI), 0);
	ASSERT_EQ(nwr, 5);
	ASSERT_EQ(wrs[4].len, 80);
	ASSERT_EQ(sess_unsent(s), 0);

	/* a fragmented frame: its first fragment now, the rest from the callback */
	queue_new(s, NET_WRITE_CHUNK + 1);
	ASSERT_EQ(nwr, 6);
	ASSERT_EQ(wrs[5].wp, LWS_WRITE_BINARY | LWS_WRITE_NO_FIN);
	ASSERT_EQ(arms, 3);
	ASSERT_EQ(sess_unsent(s), 1);
	ASSERT_EQ(sess_on_writeable(s, WSI), 0);
	ASSERT_EQ(nwr, 7);
	ASSERT_EQ(wrs[6].wp, LWS_WRITE_CONTINUATION);
	teardown(s);
}

/* A direct write that fails ends the connection: nothing more is queued. */
static void direct_write_fails(void)
{
	sess *s = setup(ROLE_NONE, 1u << 20);

	fail = true;
	queue_new(s, 10);
	ASSERT(s->close_code != 0);
	ended_by_tick(s);
	ASSERT_EQ(sess_unsent(s), 0);
	fail = false;
	queue_new(s, 10);
	ASSERT_EQ(nwr, 0);
	ASSERT_EQ(sess_unsent(s), 0);
	teardown(s);
}

#define TESTS(X)                                                                                   \
	X(cap_and_cap_plus_one)                                                                    \
	X(caps_by_role)                                                                            \
	X(big_frame_alone) X(lws_partial_counts) X(fragments) X(frame_count) X(flush_close)       \
	X(direct_write) X(direct_write_fails)
T_MAIN()
