/*
 * redis.c: one hiredis async connection on our libuv loop, with explicit
 * state, connect and command timeouts, reconnect with backoff and a cap on
 * commands in flight.  See redis.h for the contract.
 *
 * Design (after h2o's lib/common/redis.c):
 *   - Every command gets a `struct rcmd` on a doubly linked list; hiredis
 *     holds it as privdata.  hiredis calls each registered callback exactly
 *     once: with the reply, or with NULL when the context is freed (error,
 *     loss or our own redisAsyncFree()).  on_reply() unlinks and frees the
 *     rcmd, so it is freed exactly once, and the user callback runs once.
 *   - A sweep timer checks the deadlines; an overdue command drops the
 *     connection (hiredis cannot cancel one command), which fails every
 *     pending command through the NULL-reply path above.
 *   - When we drop a context ourselves, we first clear r->ac and ac->data, so
 *     hiredis's later connect/disconnect callbacks for it are ignored
 *     (detach-safe); the state change is handled once, in lost().
 *   - Our own libuv glue replaces hiredis's adapters/libuv.h: that adapter
 *     ignores a poll error (libuv reports POLLERR as status UV_EBADF and
 *     stops the handle), which leaves a refused or reset connection hanging
 *     until some timeout.  Here a poll error is handed to hiredis as a read
 *     or write event, so it sees the socket error at once.
 *   - An idle connection is probed: when nothing has been heard from Redis
 *     for PING_IDLE_MS and no command is in flight, the sweep sends a PING
 *     (with the command timeout).  A Redis that stopped answering (a frozen
 *     process, a dead host whose TCP connection lingers) is thus seen as
 *     down within PING_IDLE_MS + the command timeout, even with no traffic,
 *     and /health says so.
 *   - The "connection is up" notification is deferred through the timer:
 *     freeing the context from inside hiredis's connect callback would be a
 *     use after free in hiredis.  And it waits for a PING's answer: the
 *     kernel accepts a TCP connection for a Redis that is frozen, and
 *     /health must not say "up" for it.  An error answer to that PING
 *     (LOADING: a restarted Redis accepts connections while it reads its
 *     AOF) is asked again after a backoff on the same connection.
 *
 * Handles: two timers owned here plus one uv_poll_t per live context (in a
 * heap `struct poller` freed in its close callback).  redis_close() closes
 * them all and reports when the count reaches zero.
 */
#include "store/redis.h"

#include <hiredis/async.h>
#include <string.h>
#include <unistd.h>

#include "sl.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define PING_IDLE_MS 1000

struct rcmd {
	struct rcmd *prev, *next;
	redis *r;
	redis_reply_fn cb;
	void *ctx;
	uint64_t deadline; /* ms, monotonic */
};

struct redis {
	uv_loop_t *loop;
	char *name;
	char host[256];
	char addr_str[272]; /* "host:port", for logs and redis_addr() */
	int port;
	redis_addr_fn addr;
	void *addr_ctx;
	uint64_t conn_id; /* connections made */
	uint32_t connect_timeout_ms, command_timeout_ms;
	size_t max_pending;

	enum redis_state state;
	redisAsyncContext *ac; /* NULL unless CONNECTING or CONNECTED */
	bool notified_up;      /* on_state(true) was delivered */
	bool logged_down;      /* one warning per outage */
	unsigned attempt;      /* reconnect attempts since last success */
	uint64_t rng;

	uint64_t last_heard; /* ms: the last reply, or the connect */
	bool pinging;        /* an idle probe is in flight */

	uv_timer_t timer; /* connect timeout, backoff, deferred "up" */
	uv_timer_t sweep; /* command deadlines */

	struct rcmd pending; /* list sentinel */
	size_t npending;

	redis_state_fn on_state;
	void *ctx;

	bool started;
	sl_close_req closing;
	int open_handles;
};

struct poller {
	uv_poll_t h;
	redisAsyncContext *ac; /* NULL once hiredis cleaned up */
	redis *r;
	int events;
};

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

static void connect_now(redis *r);
static void lost(redis *r);

/* ---- libuv glue for hiredis --------------------------------------------- */

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct poller *p = h->data;

	if (status < 0) {
		/*
		 * POLLERR/POLLHUP: libuv stopped the handle.  Let hiredis try
		 * the operation it waits for; it reads the socket error and
		 * fails the connection.
		 */
		if (!p->ac)
			return;
		if (!(p->ac->c.flags & REDIS_CONNECTED) || (p->events & UV_WRITABLE))
			redisAsyncHandleWrite(p->ac);
		else
			redisAsyncHandleRead(p->ac);
		return;
	}
	if (p->ac && (events & UV_READABLE))
		redisAsyncHandleRead(p->ac);
	if (p->ac && (events & UV_WRITABLE))
		redisAsyncHandleWrite(p->ac);
}

/* hiredis asks to watch (on) or stop watching one event of its socket. */
static void poll_set(void *d, int event, bool on)
{
	struct poller *p = d;

	if (on)
		p->events |= event;
	else
		p->events &= ~event;
	if (p->events)
		uv_poll_start(&p->h, p->events, on_poll);
	else
		uv_poll_stop(&p->h);
}

static void ev_add_read(void *d)
{
	poll_set(d, UV_READABLE, true);
}

static void ev_del_read(void *d)
{
	poll_set(d, UV_READABLE, false);
}

static void ev_add_write(void *d)
{
	poll_set(d, UV_WRITABLE, true);
}

static void ev_del_write(void *d)
{
	poll_set(d, UV_WRITABLE, false);
}

static void maybe_closed(redis *r)
{
	if (r->closing.on && r->open_handles == 0)
		sl_close_done(&r->closing);
}

static void on_poll_close(uv_handle_t *h)
{
	struct poller *p = h->data;
	redis *r = p->r;

	free(p);
	r->open_handles--;
	maybe_closed(r);
}

static void ev_cleanup(void *d)
{
	struct poller *p = d;

	p->ac = NULL;
	uv_close((uv_handle_t *)&p->h, on_poll_close);
}

static int attach(redis *r, redisAsyncContext *ac)
{
	struct poller *p = sl_calloc(1, sizeof(*p));

	if (uv_poll_init(r->loop, &p->h, ac->c.fd) != 0) {
		free(p);
		return SL_EIO;
	}
	r->open_handles++;
	p->h.data = p;
	p->ac = ac;
	p->r = r;
	ac->ev.data = p;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	return 0;
}

/* ---- connection state ---------------------------------------------------- */

uint32_t redis_backoff_ms(unsigned attempt)
{
	uint32_t d = BACKOFF_MIN_MS;

	while (attempt-- > 0 && d < BACKOFF_MAX_MS)
		d *= 2;
	return d > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d;
}

static uint32_t jitter(redis *r, uint32_t d)
{
	/* xorshift64: spreads reconnects of many nodes; not for secrets */
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return d / 2 + (uint32_t)(r->rng % (d / 2 + 1));
}

static void on_retry(uv_timer_t *t)
{
	connect_now(t->data);
}

static void schedule_retry(redis *r)
{
	uint32_t d = jitter(r, redis_backoff_ms(r->attempt));

	r->attempt++;
	sl_debug("redis '%s': reconnecting in %u ms", r->name, d);
	uv_timer_start(&r->timer, on_retry, d, 0);
}

static void log_down(redis *r, const char *why)
{
	if (!r->logged_down) {
		sl_warn("redis '%s' %s:%d: %s", r->name, r->host, r->port, why);
		r->logged_down = true;
	} else {
		sl_debug("redis '%s' %s:%d: %s", r->name, r->host, r->port, why);
	}
}

static void lost(redis *r)
{
	r->state = REDIS_ST_DISCONNECTED;
	r->ac = NULL;
	if (r->notified_up) {
		r->notified_up = false;
		if (r->on_state)
			r->on_state(r->ctx, false);
	}
	if (!r->closing.on)
		schedule_retry(r);
}

/* Drop the current context ourselves (timeout, close). */
static void drop(redis *r)
{
	redisAsyncContext *ac = r->ac;

	if (!ac)
		return;
	r->ac = NULL;
	ac->data = NULL;
	redisAsyncFree(ac); /* pending callbacks run now with NULL replies */
	lost(r);
}

static int send_cmd(redis *r, uint32_t timeout_ms, redis_reply_fn cb, void *ctx, int argc,
		    const char **argv, const size_t *argvlen);

static void on_up(uv_timer_t *t);

/*
 * The handshake PING answered: now the connection is up.  An error reply
 * (LOADING while a restarted Redis reads its AOF, which it accepts
 * connections for; a refusal) keeps it down and asks again on the same
 * connection after a backoff: returning here without a next step would
 * leave it connected and never up, with nothing pending to time out.
 */
static void on_hello_ping(void *ctx, int err, const redisReply *rep)
{
	redis *r = ctx;

	if (err == SL_EIO && rep && r->state == REDIS_ST_CONNECTED && r->ac && !r->notified_up &&
	    !r->closing.on) {
		log_down(r, rep->str ? rep->str : "PING refused");
		uv_timer_start(&r->timer, on_up, jitter(r, redis_backoff_ms(r->attempt++)), 0);
		return;
	}
	if (err || r->state != REDIS_ST_CONNECTED || r->notified_up || r->closing.on)
		return; /* a timeout or a loss has dropped the connection already */
	if (r->logged_down)
		sl_info("redis '%s' %s:%d: connected again", r->name, r->host, r->port);
	else
		sl_debug("redis '%s' %s:%d: connected", r->name, r->host, r->port);
	r->logged_down = false;
	r->attempt = 0;
	r->notified_up = true;
	if (r->on_state)
		r->on_state(r->ctx, true);
}

/*
 * A TCP connection is not a working Redis: the kernel completes the
 * handshake for a process that is stopped (SIGSTOP, a swap storm), so the
 * connection counts as up only once Redis answered a PING on it, within the
 * connect timeout (the sweep drops it otherwise, and it is tried again).
 */
static void on_up(uv_timer_t *t)
{
	redis *r = t->data;
	const char *argv[] = {"PING"};
	size_t len[] = {4};

	if (r->state != REDIS_ST_CONNECTED || r->notified_up)
		return;
	if (send_cmd(r, r->connect_timeout_ms, on_hello_ping, r, 1, argv, len) < 0)
		drop(r);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	redis *r = ac->data;

	if (!r)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees ac when we return */
		log_down(r, ac->errstr ? ac->errstr : "cannot connect");
		uv_timer_stop(&r->timer);
		lost(r);
		return;
	}
	r->state = REDIS_ST_CONNECTED;
	r->conn_id++;
	r->last_heard = now_ms();
	uv_timer_start(&r->timer, on_up, 0, 0); /* replaces the connect timeout */
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	redis *r = ac->data;

	if (!r)
		return;
	log_down(r, status == REDIS_OK ? "disconnected"
				       : (ac->errstr[0] ? ac->errstr : "connection lost"));
	lost(r);
}

static void on_connect_timeout(uv_timer_t *t)
{
	redis *r = t->data;

	if (r->state != REDIS_ST_CONNECTING)
		return;
	log_down(r, "connect timed out");
	drop(r);
}

static void set_addr(redis *r, const char *host, int port)
{
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->port = port;
	snprintf(r->addr_str, sizeof(r->addr_str), "%s:%d", r->host, r->port);
}

static void connect_now(redis *r)
{
	redisAsyncContext *ac;

	if (r->closing.on || r->ac)
		return;
	if (r->addr) {
		char host[sizeof(r->host)];
		int port = 0;
		if (r->addr(r->addr_ctx, host, sizeof(host), &port) < 0) {
			/* a cluster's map not known yet: not an outage of a Redis */
			sl_debug("redis '%s': no address known yet", r->name);
			schedule_retry(r);
			return;
		}
		set_addr(r, host, port);
	}
	ac = redisAsyncConnect(r->host, r->port);
	if (!ac) {
		log_down(r, "cannot allocate a connection");
		schedule_retry(r);
		return;
	}
	if (ac->err) {
		log_down(r, ac->errstr);
		redisAsyncFree(ac);
		schedule_retry(r);
		return;
	}
	if (attach(r, ac) < 0) {
		log_down(r, "cannot watch the socket");
		redisAsyncFree(ac);
		schedule_retry(r);
		return;
	}
	ac->data = r;
	r->ac = ac;
	r->state = REDIS_ST_CONNECTING;
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	redisAsyncSetConnectCallback(ac, on_connect); /* arms the write event */
	uv_timer_start(&r->timer, on_connect_timeout, r->connect_timeout_ms, 0);
}

/* ---- commands ------------------------------------------------------------ */

static void unlink_cmd(struct rcmd *c)
{
	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->r->npending--;
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct rcmd *c = privdata;
	const redisReply *rep = reply;
	int err = 0;

	(void)ac;
	unlink_cmd(c);
	if (rep)
		c->r->last_heard = now_ms();
	if (!rep)
		err = now_ms() >= c->deadline ? SL_ETIMEOUT : SL_EUNAVAIL;
	else if (rep->type == REDIS_REPLY_ERROR)
		err = SL_EIO;
	c->cb(c->ctx, err, rep);
	free(c);
}

static void on_ping(void *ctx, int err, const redisReply *rep)
{
	redis *r = ctx;

	(void)err;
	(void)rep;
	r->pinging = false; /* a timeout has dropped the connection already */
}

static void on_sweep(uv_timer_t *t)
{
	redis *r = t->data;
	uint64_t now = now_ms();

	for (struct rcmd *c = r->pending.next; c != &r->pending; c = c->next) {
		if (c->deadline <= now) {
			sl_warn("redis '%s' %s:%d: no reply in %u ms, reconnecting", r->name,
				r->host, r->port,
				(unsigned)(now - c->deadline) + r->command_timeout_ms);
			drop(r);
			return;
		}
	}
	if (r->state == REDIS_ST_CONNECTED && r->notified_up && !r->pinging && !r->npending &&
	    now - r->last_heard >= PING_IDLE_MS) {
		const char *argv[] = {"PING"};
		size_t len[] = {4};
		if (redis_command(r, 0, on_ping, r, 1, argv, len) == 0)
			r->pinging = true;
	}
}

int redis_command(redis *r, uint32_t timeout_ms, redis_reply_fn cb, void *ctx, int argc,
		  const char **argv, const size_t *argvlen)
{
	if (!r->notified_up)
		return SL_EUNAVAIL;
	return send_cmd(r, timeout_ms, cb, ctx, argc, argv, argvlen);
}

static int send_cmd(redis *r, uint32_t timeout_ms, redis_reply_fn cb, void *ctx, int argc,
		    const char **argv, const size_t *argvlen)
{
	struct rcmd *c;

	if (!cb || argc < 1)
		return SL_EINVAL;
	if (r->closing.on || r->state != REDIS_ST_CONNECTED || !r->ac)
		return SL_EUNAVAIL;
	if (r->npending >= r->max_pending)
		return SL_EFULL;
	c = sl_calloc(1, sizeof(*c));
	c->r = r;
	c->cb = cb;
	c->ctx = ctx;
	c->deadline = now_ms() + (timeout_ms ? timeout_ms : r->command_timeout_ms);
	c->next = &r->pending;
	c->prev = r->pending.prev;
	c->prev->next = c;
	r->pending.prev = c;
	r->npending++;
	if (redisAsyncCommandArgv(r->ac, on_reply, c, argc, argv, argvlen) != REDIS_OK) {
		unlink_cmd(c);
		free(c);
		return SL_EUNAVAIL;
	}
	return 0;
}

/* ---- lifecycle ----------------------------------------------------------- */

redis *redis_new(uv_loop_t *loop, const struct redis_opts *o, redis_state_fn on_state, void *ctx)
{
	redis *r = sl_calloc(1, sizeof(*r));

	r->loop = loop;
	r->name = sl_strdup(o->name ? o->name : "redis");
	set_addr(r, o->host ? o->host : "", o->port);
	r->addr = o->addr;
	r->addr_ctx = o->addr_ctx;
	r->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 2000;
	r->command_timeout_ms = o->command_timeout_ms ? o->command_timeout_ms : 2000;
	r->max_pending = o->max_pending ? o->max_pending : 10000;
	r->on_state = on_state;
	r->ctx = ctx;
	r->pending.next = r->pending.prev = &r->pending;
	r->rng = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)r;
	if (!r->rng)
		r->rng = 1;
	uv_timer_init(loop, &r->timer);
	uv_timer_init(loop, &r->sweep);
	r->timer.data = r;
	r->sweep.data = r;
	r->open_handles = 2;
	return r;
}

void redis_start(redis *r)
{
	uint32_t every;

	if (r->started || r->closing.on)
		return;
	r->started = true;
	every = r->command_timeout_ms / 10;
	if (every < 20)
		every = 20;
	if (every > 250)
		every = 250;
	uv_timer_start(&r->sweep, on_sweep, every, every);
	connect_now(r);
}

enum redis_state redis_get_state(const redis *r)
{
	return r->state;
}

bool redis_up(const redis *r)
{
	return r->state == REDIS_ST_CONNECTED && r->notified_up;
}

size_t redis_pending(const redis *r)
{
	return r->npending;
}

uint64_t redis_conn_id(const redis *r)
{
	return r->conn_id;
}

const char *redis_addr(const redis *r)
{
	return r->addr_str;
}

void redis_reconnect(redis *r)
{
	if (r->closing.on || !r->started)
		return;
	uv_timer_stop(&r->timer);
	if (r->ac)
		drop(r); /* and again after the first backoff step */
	else
		connect_now(r); /* was waiting out a backoff */
}

static void on_timer_close(uv_handle_t *h)
{
	redis *r = h->data;

	r->open_handles--;
	maybe_closed(r);
}

void redis_close(redis *r, void (*on_closed)(void *ctx), void *ctx)
{
	if (!sl_close_begin(&r->closing, on_closed, ctx))
		return;
	uv_timer_stop(&r->timer);
	uv_timer_stop(&r->sweep);
	drop(r);
	uv_close((uv_handle_t *)&r->timer, on_timer_close);
	uv_close((uv_handle_t *)&r->sweep, on_timer_close);
}

void redis_free(redis *r)
{
	if (!r)
		return;
	if (r->open_handles || r->npending)
		sl_warn("redis '%s': freed with %d handles and %zu commands open", r->name,
			r->open_handles, r->npending);
	free(r->name);
	free(r);
}
