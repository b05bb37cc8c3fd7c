/*
 * test_redis.c: the Redis connection object (server/store/redis.c) on a
 * real loop.  Links redis.c + slproto + hiredis + libuv only.
 *
 * What it proves: the backoff schedule; a refused connection never comes up
 * and closes cleanly; against a real redis-server (started here on a free
 * port, skipped when the binary is missing): replies arrive, the pending cap
 * gives SL_EFULL, a killed server fails every pending command exactly once
 * with SL_EUNAVAIL and the object reconnects when the server is back, a
 * stopped server gives SL_ETIMEOUT, and a stopped server is seen as down
 * even when nobody sends a command (the idle probe), and a restarted server
 * that answers LOADING while it reads its data comes up once it has read it.  Every test ends by
 * closing the object and proving the loop closes with no handle left (uv_loop_close == 0).
 */
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sl.h"
#include "store/redis.h"
#include "t.h"
#include "t_redis.h"

struct ctx {
	uv_loop_t loop;
	uv_timer_t timer;
	redis *r;
	int ups, downs, closed;
	int replies, errs[64], nerr;
};

static void on_state(void *p, bool up)
{
	struct ctx *c = p;

	if (up)
		c->ups++;
	else
		c->downs++;
}

static void on_closed(void *p)
{
	((struct ctx *)p)->closed++;
}

static void on_reply(void *p, int err, const redisReply *rep)
{
	struct ctx *c = p;

	c->replies++;
	if (c->nerr < 64)
		c->errs[c->nerr++] = err;
	if (!err)
		ASSERT(rep != NULL);
}

static void stop_loop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Run the loop for ms, or until cond holds (checked every 10 ms). */
static void run_until(struct ctx *c, int ms, int *watch, int want)
{
	for (int i = 0; i < ms / 10 && (!watch || *watch < want); i++) {
		uv_timer_start(&c->timer, stop_loop, 10, 0);
		uv_run(&c->loop, UV_RUN_DEFAULT);
	}
}

static void setup(struct ctx *c, int port, uint32_t timeout_ms, size_t max_pending)
{
	struct redis_opts o = {.name = "test",
			       .host = "127.0.0.1",
			       .port = port,
			       .connect_timeout_ms = timeout_ms,
			       .command_timeout_ms = timeout_ms,
			       .max_pending = max_pending};

	memset(c, 0, sizeof(*c));
	uv_loop_init(&c->loop);
	uv_timer_init(&c->loop, &c->timer);
	c->r = redis_new(&c->loop, &o, on_state, c);
	redis_start(c->r);
}

static void teardown(struct ctx *c)
{
	redis_close(c->r, on_closed, c);
	uv_close((uv_handle_t *)&c->timer, NULL);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	ASSERT_EQ(c->closed, 1);
	ASSERT_EQ(redis_pending(c->r), 0);
	redis_free(c->r);
	ASSERT_EQ(uv_loop_close(&c->loop), 0);
}

/*
 * A redis-server on port; with dir, one that keeps its RDB there, allows
 * DEBUG and loads slowly (load_delay_us per key, answering LOADING between
 * keys) when load_delay_us > 0.
 */
static pid_t start_redis_in(int port, const char *dir, int load_delay_us)
{
	char p[16], delay[16];
	pid_t pid;

	snprintf(p, sizeof(p), "%d", port);
	snprintf(delay, sizeof(delay), "%d", load_delay_us);
	pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		if (dir)
			execl(t_redis_server(), t_redis_server(), "--port", p, "--save", "",
			      "--appendonly", "no", "--bind", "127.0.0.1", "--dir", dir,
			      "--enable-debug-command", "yes", "--key-load-delay", delay,
			      "--loading-process-events-interval-bytes", "1024", (char *)NULL);
		else
			execl(t_redis_server(), t_redis_server(), "--port", p, "--save", "",
			      "--appendonly", "no", "--bind", "127.0.0.1", (char *)NULL);
		_exit(127);
	}
	usleep(300 * 1000);
	return pid;
}

static pid_t start_redis(int port)
{
	return start_redis_in(port, NULL, 0);
}

static void kill_redis(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int command(struct ctx *c, const char *a0, const char *a1)
{
	const char *argv[] = {a0, a1};
	size_t len[] = {strlen(a0), a1 ? strlen(a1) : 0};

	return redis_command(c->r, 0, on_reply, c, a1 ? 2 : 1, argv, len);
}

/* ---- tests --------------------------------------------------------------- */

static void backoff(void)
{
	ASSERT_EQ(redis_backoff_ms(0), 100);
	ASSERT_EQ(redis_backoff_ms(1), 200);
	ASSERT_EQ(redis_backoff_ms(5), 3200);
	ASSERT_EQ(redis_backoff_ms(6), 5000);
	ASSERT_EQ(redis_backoff_ms(1000), 5000);
}

static void refused(void)
{
	struct ctx c;

	setup(&c, t_free_port(), 200, 10);
	run_until(&c, 400, NULL, 0);
	ASSERT_EQ(c.ups, 0);
	ASSERT(!redis_up(c.r));
	ASSERT_EQ(command(&c, "PING", NULL), SL_EUNAVAIL);
	ASSERT_EQ(c.replies, 0);
	teardown(&c);
}

static void live(void)
{
	struct ctx c;
	int port = t_free_port();
	pid_t pid;

	if (access(t_redis_server(), X_OK) != 0)
		T_SKIP("no %s (apt-get install redis-server)", t_redis_server());
	pid = start_redis(port);
	setup(&c, port, 500, 3);
	run_until(&c, 2000, &c.ups, 1);
	ASSERT_EQ(c.ups, 1);
	ASSERT_EQ(command(&c, "SET", "k"), 0); /* wrong arity: an error reply */
	ASSERT_EQ(command(&c, "PING", NULL), 0);
	run_until(&c, 1000, &c.replies, 2);
	ASSERT_EQ(c.replies, 2);
	ASSERT_EQ(c.errs[0], SL_EIO);
	ASSERT_EQ(c.errs[1], 0);

	/* the cap, then a killed server fails each pending command once */
	c.replies = c.nerr = 0;
	kill(pid, SIGSTOP); /* nothing is answered from now on */
	ASSERT_EQ(command(&c, "PING", NULL), 0);
	ASSERT_EQ(command(&c, "PING", NULL), 0);
	ASSERT_EQ(command(&c, "PING", NULL), 0);
	ASSERT_EQ(command(&c, "PING", NULL), SL_EFULL);
	ASSERT_EQ(redis_pending(c.r), 3);
	kill_redis(pid);
	run_until(&c, 1000, &c.downs, 1);
	ASSERT_EQ(c.downs, 1);
	ASSERT_EQ(c.replies, 3);
	for (int i = 0; i < c.nerr; i++)
		ASSERT_EQ(c.errs[i], SL_EUNAVAIL);
	ASSERT_EQ(redis_pending(c.r), 0);
	ASSERT_EQ(command(&c, "PING", NULL), SL_EUNAVAIL);

	/* back: it reconnects by itself */
	pid = start_redis(port);
	run_until(&c, 6000, &c.ups, 2);
	ASSERT_EQ(c.ups, 2);

	/* a stopped server: the command times out and the connection drops */
	c.replies = c.nerr = 0;
	kill(pid, SIGSTOP);
	ASSERT_EQ(command(&c, "PING", NULL), 0);
	run_until(&c, 2000, &c.replies, 1);
	ASSERT_EQ(c.replies, 1);
	ASSERT_EQ(c.errs[0], SL_ETIMEOUT);
	ASSERT(!redis_up(c.r) || c.ups == 3);
	kill(pid, SIGCONT);
	teardown(&c);
	kill_redis(pid);
}

/* Nobody sends anything: a frozen server is still seen as down (the idle
 * PING times out), and the connection comes back when it thaws. */
static void idle_probe(void)
{
	struct ctx c;
	int port = t_free_port();
	pid_t pid;

	if (access(t_redis_server(), X_OK) != 0)
		T_SKIP("no %s (apt-get install redis-server)", t_redis_server());
	pid = start_redis(port);
	setup(&c, port, 500, 10);
	run_until(&c, 2000, &c.ups, 1);
	ASSERT_EQ(c.ups, 1);
	run_until(&c, 2500, &c.downs, 1); /* idle and answering: stays up */
	ASSERT_EQ(c.downs, 0);
	ASSERT(redis_up(c.r));
	kill(pid, SIGSTOP);
	run_until(&c, 6000, &c.downs, 1);
	ASSERT_EQ(c.downs, 1);
	ASSERT(!redis_up(c.r));
	ASSERT_EQ(c.replies, 0); /* the probe is not a caller's command */
	kill(pid, SIGCONT);
	run_until(&c, 8000, &c.ups, 2);
	ASSERT_EQ(c.ups, 2);
	teardown(&c);
	kill_redis(pid);
}

static int command_argv(struct ctx *c, int argc, const char **argv)
{
	size_t len[8];

	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	return redis_command(c->r, 5000, on_reply, c, argc, argv, len);
}

/*
 * A Redis restarted with data answers LOADING until it has read it, and it
 * accepts connections meanwhile: the connection stays down while Redis
 * loads, then comes up by itself on the same port (it once stayed
 * connected and never up, and a node's log tail stopped for good after a
 * Redis restart).
 */
static void loading(void)
{
	struct ctx c;
	int port = t_free_port();
	char dir[] = "/tmp/sl-test-redis-XXXXXX", path[64];
	const char *populate[] = {"DEBUG", "POPULATE", "4000"}, *save[] = {"SAVE"};
	pid_t pid;

	if (access(t_redis_server(), X_OK) != 0)
		T_SKIP("no %s (apt-get install redis-server)", t_redis_server());
	ASSERT(mkdtemp(dir) != NULL);
	pid = start_redis_in(port, dir, 0);
	setup(&c, port, 500, 10);
	run_until(&c, 2000, &c.ups, 1);
	ASSERT_EQ(c.ups, 1);
	ASSERT_EQ(command_argv(&c, 3, populate), 0);
	ASSERT_EQ(command_argv(&c, 1, save), 0);
	run_until(&c, 5000, &c.replies, 2);
	ASSERT_EQ(c.replies, 2);
	ASSERT_EQ(c.errs[0], 0);
	ASSERT_EQ(c.errs[1], 0);
	kill_redis(pid);
	run_until(&c, 1000, &c.downs, 1);
	ASSERT_EQ(c.downs, 1);

	/* 4000 keys at 1 ms each: about 4 s of LOADING */
	pid = start_redis_in(port, dir, 1000);
	run_until(&c, 800, NULL, 0);
	ASSERT_EQ(c.ups, 1);
	ASSERT(!redis_up(c.r));
	ASSERT_EQ(redis_get_state(c.r), REDIS_ST_CONNECTED); /* connected, not up */
	run_until(&c, 15000, &c.ups, 2);
	ASSERT_EQ(c.ups, 2);
	c.replies = c.nerr = 0;
	ASSERT_EQ(command(&c, "DBSIZE", NULL), 0);
	run_until(&c, 2000, &c.replies, 1);
	ASSERT_EQ(c.replies, 1);
	ASSERT_EQ(c.errs[0], 0);
	teardown(&c);
	kill_redis(pid);
	snprintf(path, sizeof(path), "%s/dump.rdb", dir);
	unlink(path);
	rmdir(dir);
}

#define TESTS(X) X(backoff) X(refused) X(live) X(idle_probe) X(loading)
T_MAIN()
