/*
 * test_cluster.c: routing to one Redis or a Redis Cluster
 * (server/store/cluster.c) on a real loop, against real redis-servers.
 * Links cluster.c + redis.c + slproto + hiredis + libuv only.
 *
 * What it proves: the slot of a key (Redis's own test vectors and hash-tag
 * rules, checked against CLUSTER KEYSLOT of a live node); what --redis
 * accepts and refuses; against a cluster of 3 primaries and 3 replicas
 * started here on free ports (with redis-cli --cluster create; skipped when
 * redis-server or redis-cli is missing): the map is learned from a seed
 * list whose first seed is dead; keys of three events land on their three
 * owners (read back on each owner directly); a slot moved to another primary
 * is followed (MOVED), the map learns it and a connection that follows the
 * slot is told; a key that already left a slot
 * being moved is served by the target (ASK) without changing the map; a
 * command that meets a half-moved slot (TRYAGAIN) waits and succeeds once
 * the move ends; WAIT answers for writes of its connection, many waits
 * share few WAIT commands, and a stopped replica gives fewer replicas than
 * asked; a single Redis is found to be one, and two single Redis given as a
 * cluster are refused.  Every test closes the object and proves the loop
 * closes with no handle left.
 */
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sl.h"
#include "store/cluster.h"
#include "t.h"
#include "t_redis.h"

#define NODES 6

static const char *cli_bin(void)
{
	return t_bin("SL_REDIS_CLI", "/usr/bin/redis-cli");
}

/* ---- the cluster under test ---------------------------------------------- */

static struct {
	bool tried, ok;
	char dir[64];
	int port[NODES];
	pid_t pid[NODES];
	char seeds[256];
} K;

/* One synchronous command to port (a test's own view); NULL on failure. */
static redisReply *sync_cmd(int port, const char *fmt, ...)
{
	redisContext *c = redisConnect("127.0.0.1", port);
	redisReply *r = NULL;
	va_list ap;

	if (c && !c->err) {
		va_start(ap, fmt);
		r = redisvCommand(c, fmt, ap);
		va_end(ap);
	}
	redisFree(c);
	return r;
}

static bool reply_has(int port, const char *cmd, const char *want)
{
	redisReply *r = sync_cmd(port, cmd);
	bool ok = r && r->type == REDIS_REPLY_STRING && strstr(r->str, want);

	freeReplyObject(r);
	return ok;
}

static pid_t spawn(const char *const *argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static void stop_cluster(void)
{
	char cmd[128];

	for (int i = 0; i < NODES; i++)
		if (K.pid[i] > 0) {
			kill(K.pid[i], SIGCONT);
			kill(K.pid[i], SIGKILL);
			waitpid(K.pid[i], NULL, 0);
		}
	if (K.dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", K.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", K.dir);
	}
}

static void start_node(int i)
{
	char p[16], bus[16], d[96];
	const char *argv[] = {t_redis_server(),
			      "--port",
			      p,
			      "--cluster-enabled",
			      "yes",
			      "--cluster-port",
			      bus,
			      "--cluster-config-file",
			      "nodes.conf",
			      "--cluster-node-timeout",
			      "2000",
			      "--save",
			      "",
			      "--appendonly",
			      "no",
			      "--bind",
			      "127.0.0.1",
			      "--dir",
			      d,
			      NULL};

	snprintf(p, sizeof(p), "%d", K.port[i]);
	snprintf(bus, sizeof(bus), "%d", t_free_port());
	snprintf(d, sizeof(d), "%s/%d", K.dir, K.port[i]);
	mkdir(d, 0700);
	K.pid[i] = spawn(argv);
}

/* Every node says cluster_state:ok and every replica's link is up. */
static bool cluster_ready(void)
{
	for (int i = 0; i < NODES; i++) {
		if (!reply_has(K.port[i], "CLUSTER INFO", "cluster_state:ok"))
			return false;
		redisReply *r = sync_cmd(K.port[i], "INFO replication");
		bool ok =
			r && r->type == REDIS_REPLY_STRING &&
			(strstr(r->str, "role:master") || strstr(r->str, "master_link_status:up"));
		freeReplyObject(r);
		if (!ok)
			return false;
	}
	return true;
}

/* 3 primaries (the first three ports) and a replica each; false: skip. */
static bool cluster_up_here(void)
{
	char addrs[NODES][24];
	const char *argv[NODES + 8];
	int n = 0, st = 0;
	pid_t pid;

	if (K.tried)
		return K.ok;
	K.tried = true;
	if (access(t_redis_server(), X_OK) != 0 || access(cli_bin(), X_OK) != 0)
		return false;
	snprintf(K.dir, sizeof(K.dir), "/tmp/sl-test-cluster-XXXXXX");
	if (!mkdtemp(K.dir))
		return false;
	atexit(stop_cluster);
	for (int i = 0; i < NODES; i++) {
		K.port[i] = t_free_port();
		start_node(i);
	}
	usleep(300 * 1000);
	argv[n++] = cli_bin();
	argv[n++] = "--cluster";
	argv[n++] = "create";
	for (int i = 0; i < NODES; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "127.0.0.1:%d", K.port[i]);
		argv[n++] = addrs[i];
	}
	argv[n++] = "--cluster-replicas";
	argv[n++] = "1";
	argv[n++] = "--cluster-yes";
	argv[n] = NULL;
	pid = spawn(argv);
	waitpid(pid, &st, 0);
	for (int i = 0; i < 300 && !cluster_ready(); i++)
		usleep(100 * 1000);
	K.ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 && cluster_ready();
	/* a dead address first: the map must come from the next one */
	snprintf(K.seeds, sizeof(K.seeds), "127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d", t_free_port(),
		 K.port[1], K.port[2]);
	return K.ok;
}

static int slot_of(const char *key)
{
	return (int)cluster_keyslot(key, strlen(key));
}

/* The port of the node the cluster itself says owns key's slot. */
static int owner_port(const char *key)
{
	redisReply *r = sync_cmd(K.port[0], "CLUSTER SLOTS");
	int slot = slot_of(key), port = -1;

	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		redisReply *e = r->element[i];
		if (slot >= e->element[0]->integer && slot <= e->element[1]->integer)
			port = (int)e->element[2]->element[1]->integer;
	}
	freeReplyObject(r);
	return port;
}

static const char *node_id(int port, char *out)
{
	redisReply *r = sync_cmd(port, "CLUSTER MYID");

	snprintf(out, 41, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "?");
	freeReplyObject(r);
	return out;
}

/* A primary that is not port. */
static int other_primary(int port)
{
	for (int i = 0; i < 3; i++) {
		redisReply *r = sync_cmd(K.port[i], "ROLE");
		bool primary =
			r && r->type == REDIS_REPLY_ARRAY && !strcmp(r->element[0]->str, "master");
		freeReplyObject(r);
		if (primary && K.port[i] != port)
			return K.port[i];
	}
	for (int i = 3; i < NODES; i++) /* a replica promoted meanwhile */
		if (K.port[i] != port && reply_has(K.port[i], "INFO replication", "role:master"))
			return K.port[i];
	return -1;
}

/* Tell every node that slot now belongs to the node at port. */
static void setslot_node(int slot, int port)
{
	char id[41];

	node_id(port, id);
	for (int i = 0; i < NODES; i++)
		freeReplyObject(sync_cmd(K.port[i], "CLUSTER SETSLOT %d NODE %s", slot, id));
}

static void begin_move(int slot, int from, int to)
{
	char a[41], b[41];

	freeReplyObject(sync_cmd(to, "CLUSTER SETSLOT %d IMPORTING %s", slot, node_id(from, a)));
	freeReplyObject(sync_cmd(from, "CLUSTER SETSLOT %d MIGRATING %s", slot, node_id(to, b)));
}

static void migrate_key(const char *key, int from, int to)
{
	freeReplyObject(sync_cmd(from, "MIGRATE 127.0.0.1 %d %s 0 5000", to, key));
}

/* ---- the object under test on a loop ------------------------------------- */

struct ctx {
	uv_loop_t loop;
	uv_timer_t timer;
	cluster *cl;
	int replies, errs, closed;
	char last[128];
	struct cluster_via via;
	int waits, wait_errs, replicas_min;
	int moved;
	void (*at)(struct ctx *c); /* runs once after at_ms */
	int at_ms;
};

static void stop_loop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Run the loop until *watch >= want or ms passed (checked every 10 ms). */
static void run_until(struct ctx *c, int ms, int *watch, int want)
{
	for (int i = 0; i < ms / 10 && (!watch || *watch < want); i++) {
		if (c->at && i * 10 >= c->at_ms) {
			void (*f)(struct ctx *) = c->at;
			c->at = NULL;
			f(c);
		}
		uv_timer_start(&c->timer, stop_loop, 10, 0);
		uv_run(&c->loop, UV_RUN_DEFAULT);
	}
}

static void on_closed(void *p)
{
	((struct ctx *)p)->closed++;
}

static void setup(struct ctx *c, const char *addrs)
{
	struct cluster_opts o = {.addrs = addrs, .timeout_ms = 3000};

	memset(c, 0, sizeof(*c));
	c->replicas_min = 99;
	uv_loop_init(&c->loop);
	uv_timer_init(&c->loop, &c->timer);
	c->cl = cluster_new(&c->loop, &o);
	cluster_start(c->cl);
}

static void teardown(struct ctx *c)
{
	cluster_close(c->cl, on_closed, c);
	uv_close((uv_handle_t *)&c->timer, NULL);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	ASSERT_EQ(c->closed, 1);
	cluster_free(c->cl);
	ASSERT_EQ(uv_loop_close(&c->loop), 0);
}

static void on_reply(void *p, int err, const redisReply *rep, const struct cluster_via *via)
{
	struct ctx *c = p;

	c->replies++;
	c->via = *via;
	c->last[0] = '\0';
	if (err)
		c->errs++;
	if (rep && (rep->type == REDIS_REPLY_STRING || rep->type == REDIS_REPLY_STATUS ||
		    rep->type == REDIS_REPLY_ERROR))
		snprintf(c->last, sizeof(c->last), "%s", rep->str);
}

static int cmd(struct ctx *c, bool write, const char *a0, const char *a1, const char *a2)
{
	const char *argv[] = {a0, a1, a2};
	size_t len[] = {strlen(a0), strlen(a1), a2 ? strlen(a2) : 0};

	return (write ? cluster_write : cluster_command)(c->cl, a1, strlen(a1), 0, on_reply, c,
							 a2 ? 3 : 2, argv, len);
}

/* One command and its reply: the reply's text ("" for none). */
static const char *call(struct ctx *c, const char *a0, const char *a1, const char *a2)
{
	int want = c->replies + 1;

	ASSERT_EQ(cmd(c, false, a0, a1, a2), 0);
	run_until(c, 8000, &c->replies, want);
	ASSERT_EQ(c->replies, want);
	return c->last;
}

static void wait_known(struct ctx *c)
{
	for (int i = 0; i < 500 && !cluster_up(c->cl); i++)
		run_until(c, 10, NULL, 0);
}

/* ---- tests: no server ---------------------------------------------------- */

static void keyslot(void)
{
	/* Redis's documented examples and its hash-tag rules */
	ASSERT_EQ(slot_of("123456789"), 0x31C3 & 16383);
	ASSERT_EQ(slot_of("somekey"), 11058);
	ASSERT_EQ(slot_of("foo{hash_tag}"), 2515);
	ASSERT_EQ(slot_of("foo"), 12182);
	ASSERT_EQ(slot_of("sl:{foo}:log"), slot_of("foo"));
	ASSERT_EQ(slot_of("sl:{foo}:dev"), slot_of("sl:{foo}:tok"));
	ASSERT_EQ(slot_of("foo{bar}{zap}"), slot_of("bar"));
	ASSERT_EQ(slot_of("foo{}{bar}"), 8363); /* empty tag: the whole key */
	ASSERT_EQ(slot_of("foo{{bar}}zap"), slot_of("{bar"));
	ASSERT_EQ(slot_of("{"), slot_of("{"));
	ASSERT_EQ(slot_of(""), 0);
	ASSERT_EQ(slot_of("sl:events"), 5085);
	ASSERT(slot_of("sl:{e1}:log") != slot_of("sl:{e2}:log"));
}

static void addrs(void)
{
	char err[160];

	ASSERT_EQ(cluster_addrs_check("127.0.0.1:6379", err, sizeof(err)), 0);
	ASSERT_EQ(cluster_addrs_check("a:1,b:2,redis.example:65535", err, sizeof(err)), 0);
	ASSERT_EQ(cluster_addrs_check("[::1]:6379", err, sizeof(err)), 0);
	ASSERT_EQ(cluster_addrs_check("", err, sizeof(err)), -1);
	ASSERT_EQ(cluster_addrs_check("localhost", err, sizeof(err)), -1);
	ASSERT(strstr(err, "'localhost' is not HOST:PORT"));
	ASSERT_EQ(cluster_addrs_check("a:1,b:99999", err, sizeof(err)), -1);
	ASSERT(strstr(err, "port '99999' of 'b:99999' is not in 1..65535"));
	ASSERT_EQ(cluster_addrs_check("a:1,", err, sizeof(err)), -1);
	ASSERT_EQ(cluster_addrs_check("a:0", err, sizeof(err)), -1);
	ASSERT_EQ(cluster_addrs_check("a:1x", err, sizeof(err)), -1);
	ASSERT_EQ(cluster_addrs_check(":1", err, sizeof(err)), -1);
	ASSERT_EQ(cluster_addrs_check("a:", err, sizeof(err)), -1);
	ASSERT(strstr(err, "has no port"));
	char many[400] = "";
	for (int i = 0; i <= CLUSTER_ADDRS_MAX; i++)
		strcat(many, i ? ",h:1" : "h:1");
	ASSERT_EQ(cluster_addrs_check(many, err, sizeof(err)), -1);
	ASSERT(strstr(err, "more than"));
}

/* ---- tests: a real cluster ----------------------------------------------- */

#define NEED_CLUSTER()                                                                             \
	do {                                                                                       \
		if (!cluster_up_here())                                                            \
			T_SKIP("no local cluster (%s, %s)", t_redis_server(), cli_bin());          \
	} while (0)

static void keyslot_live(void)
{
	static const char *keys[] = {"sl:{e1}:log", "foo{}{bar}", "foo{{bar}}zap", "x{y}z",
				     "sl:events",   "{",          "}{a}"};
	NEED_CLUSTER();
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		redisReply *r = sync_cmd(K.port[0], "CLUSTER KEYSLOT %s", keys[i]);
		ASSERT(r && r->type == REDIS_REPLY_INTEGER);
		if (r && r->type == REDIS_REPLY_INTEGER)
			ASSERT_EQ(slot_of(keys[i]), r->integer);
		freeReplyObject(r);
	}
}

static void routes_by_slot(void)
{
	struct ctx c;
	static const char *keys[] = {"sl:{e1}:x", "sl:{e2}:x", "sl:{e3}:x"};
	int owners[3];

	NEED_CLUSTER();
	setup(&c, K.seeds);
	wait_known(&c);
	ASSERT(cluster_up(c.cl));
	ASSERT(cluster_is_cluster(c.cl));
	for (int i = 0; i < 3; i++) {
		char want[32];
		owners[i] = owner_port(keys[i]);
		ASSERT_STREQ(call(&c, "SET", keys[i], keys[i]), "OK");
		snprintf(want, sizeof(want), "127.0.0.1:%d", owners[i]);
		ASSERT_STREQ(cluster_slot_addr(c.cl, (unsigned)slot_of(keys[i])), want);
		/* on its owner, read directly */
		redisReply *r = sync_cmd(owners[i], "GET %s", keys[i]);
		ASSERT(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, keys[i]));
		freeReplyObject(r);
	}
	/* three events, three primaries */
	ASSERT(owners[0] != owners[1] && owners[1] != owners[2] && owners[0] != owners[2]);
	/* both connections to the owner (the second one starts on first use) */
	for (int i = 0; i < 200 && !cluster_slot_up(c.cl, (unsigned)slot_of(keys[0])); i++)
		run_until(&c, 10, NULL, 0);
	ASSERT(cluster_slot_up(c.cl, (unsigned)slot_of(keys[0])));
	ASSERT(!cluster_slot_up(c.cl, CLUSTER_SLOTS));
	teardown(&c);
}

/* A cluster object that knows the map, key written through it, and the
 * primary that owns key (*from) and another one (*to). */
static void move_setup(struct ctx *c, const char *key, const char *val, int *from, int *to)
{
	setup(c, K.seeds);
	wait_known(c);
	ASSERT_STREQ(call(c, "SET", key, val), "OK");
	*from = owner_port(key);
	*to = other_primary(*from);
}

static void on_moved(void *p)
{
	((struct ctx *)p)->moved++;
}

static void follows_moved(void)
{
	struct ctx c;
	const char *key = "sl:{mv}:x";
	int slot = slot_of(key), from, to, port = 0;
	char want[32], host[64];
	struct cluster_follow f = {.slot = (unsigned)slot, .on_moved = on_moved};

	NEED_CLUSTER();
	move_setup(&c, key, "before", &from, &to);
	/* a connection of its own that follows the slot (the log tail) */
	f.cl = c.cl;
	f.ctx = &c;
	cluster_follow_add(c.cl, &f);
	ASSERT_EQ(cluster_follow_addr(&f, host, sizeof(host), &port), 0);
	ASSERT_EQ(port, from);
	ASSERT_EQ(c.moved, 0);
	begin_move(slot, from, to);
	migrate_key(key, from, to);
	setslot_node(slot, to);
	/* the map still names the old owner: MOVED, followed */
	ASSERT_STREQ(call(&c, "GET", key, NULL), "before");
	ASSERT_EQ(c.errs, 0);
	snprintf(want, sizeof(want), "127.0.0.1:%d", to);
	ASSERT_STREQ(cluster_slot_addr(c.cl, (unsigned)slot), want);
	/* told once, and its next address is the new owner */
	ASSERT_EQ(c.moved, 1);
	ASSERT_EQ(cluster_follow_addr(&f, host, sizeof(host), &port), 0);
	ASSERT_EQ(port, to);
	cluster_follow_del(c.cl, &f);
	teardown(&c);
}

static void follows_ask(void)
{
	struct ctx c;
	const char *key = "sl:{ask}:x";
	int slot = slot_of(key), from, to;
	char was[32];

	NEED_CLUSTER();
	move_setup(&c, key, "moving", &from, &to);
	snprintf(was, sizeof(was), "127.0.0.1:%d", from);
	begin_move(slot, from, to);
	migrate_key(key, from, to);
	/* the key left; the slot is still the source's: ASK, served by the target */
	ASSERT_STREQ(call(&c, "GET", key, NULL), "moving");
	ASSERT_EQ(c.errs, 0);
	ASSERT_STREQ(cluster_slot_addr(c.cl, (unsigned)slot), was);
	setslot_node(slot, to);
	teardown(&c);
}

static void finish_move(struct ctx *c)
{
	(void)c;
	int from = owner_port("sl:{try}:a"), to = other_primary(from);

	/* the second key follows the first, and the slot is handed over */
	migrate_key("sl:{try}:b", from, to);
	setslot_node(slot_of("sl:{try}:a"), to);
}

static void tryagain_waits(void)
{
	struct ctx c;
	const char *a = "sl:{try}:a", *b = "sl:{try}:b";
	int slot = slot_of(a), from, to;
	const char *argv[] = {"MGET", a, b};
	size_t len[] = {4, strlen(a), strlen(b)};

	NEED_CLUSTER();
	move_setup(&c, a, "A", &from, &to);
	ASSERT_STREQ(call(&c, "SET", b, "B"), "OK");
	begin_move(slot, from, to);
	migrate_key(a, from, to);
	/* one key here, one there: TRYAGAIN until the move ends (in 400 ms) */
	c.at = finish_move;
	c.at_ms = 400;
	c.replies = 0;
	ASSERT_EQ(cluster_command(c.cl, a, strlen(a), 5000, on_reply, &c, 3, argv, len), 0);
	run_until(&c, 6000, &c.replies, 1);
	ASSERT_EQ(c.replies, 1);
	ASSERT(c.at == NULL); /* it was answered after the move ended, not before */
	ASSERT_EQ(c.errs, 0);
	teardown(&c);
}

static void on_wait(void *p, int err, int replicas)
{
	struct ctx *c = p;

	c->waits++;
	if (err)
		c->wait_errs++;
	if (replicas < c->replicas_min)
		c->replicas_min = replicas;
}

static long long wait_calls(int port)
{
	redisReply *r = sync_cmd(port, "INFO commandstats");
	const char *p =
		r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "cmdstat_wait:calls=") : NULL;
	long long n = p ? strtoll(p + 19, NULL, 10) : 0;

	freeReplyObject(r);
	return n;
}

static void on_written(void *p, int err, const redisReply *rep, const struct cluster_via *via)
{
	struct ctx *c = p;

	on_reply(p, err, rep, via);
	if (!err && cluster_wait(c->cl, via, 1, 2000, on_wait, c) < 0)
		c->wait_errs++, c->waits++;
}

static void wait_group(void)
{
	struct ctx c;
	const char *key = "sl:{w}:x";
	int owner;
	long long before;

	NEED_CLUSTER();
	setup(&c, K.seeds);
	wait_known(&c);
	ASSERT_STREQ(call(&c, "SET", key, "warm"), "OK");
	owner = owner_port(key);
	before = wait_calls(owner);
	for (int i = 0; i < 40; i++) {
		const char *argv[] = {"INCR", key};
		size_t len[] = {4, strlen(key)};
		if (i == 0)
			ASSERT_STREQ(call(&c, "SET", key, "0"), "OK");
		ASSERT_EQ(cluster_write(c.cl, key, strlen(key), 0, on_written, &c, 2, argv, len),
			  0);
	}
	run_until(&c, 8000, &c.waits, 40);
	ASSERT_EQ(c.waits, 40);
	ASSERT_EQ(c.wait_errs, 0);
	ASSERT_EQ(c.replicas_min, 1);
	/* group commit: the waits shared fewer WAIT commands than writes */
	ASSERT(wait_calls(owner) - before < 40);
	ASSERT(wait_calls(owner) - before >= 1);
	/* a connection that is not the write's: refused, never called back */
	struct cluster_via stale = c.via;
	stale.conn += 1;
	ASSERT_EQ(cluster_wait(c.cl, &stale, 1, 100, on_wait, &c), SL_EUNAVAIL);
	teardown(&c);
}

/* The replica of the primary at port: its index in K, or -1. */
static int replica_of(int port)
{
	for (int i = 0; i < NODES; i++) {
		redisReply *r = sync_cmd(K.port[i], "INFO replication");
		char want[32];
		snprintf(want, sizeof(want), "master_port:%d", port);
		bool yes = r && r->type == REDIS_REPLY_STRING && strstr(r->str, want);
		freeReplyObject(r);
		if (yes)
			return i;
	}
	return -1;
}

static void wait_short(void)
{
	struct ctx c;
	const char *key = "sl:{ws}:x";
	int owner, rep;

	NEED_CLUSTER();
	setup(&c, K.seeds);
	wait_known(&c);
	ASSERT_STREQ(call(&c, "SET", key, "warm"), "OK");
	owner = owner_port(key);
	rep = replica_of(owner);
	ASSERT(rep >= 0);
	if (rep < 0) {
		teardown(&c);
		return;
	}
	kill(K.pid[rep], SIGSTOP); /* well within the node timeout: no failover */
	const char *argv[] = {"SET", key, "v"};
	size_t len[] = {3, strlen(key), 1};
	c.replies = 0;
	ASSERT_EQ(cluster_write(c.cl, key, strlen(key), 0, on_reply, &c, 3, argv, len), 0);
	run_until(&c, 3000, &c.replies, 1);
	ASSERT_EQ(c.errs, 0);
	ASSERT_EQ(cluster_wait(c.cl, &c.via, 1, 200, on_wait, &c), 0);
	run_until(&c, 3000, &c.waits, 1);
	kill(K.pid[rep], SIGCONT);
	ASSERT_EQ(c.waits, 1);
	ASSERT_EQ(c.wait_errs, 0);
	ASSERT_EQ(c.replicas_min, 0); /* fewer than asked: the caller does not ack */
	teardown(&c);
}

static pid_t start_single(int port)
{
	char p[16];
	const char *argv[] = {t_redis_server(), "--port", p,        "--save",    "",
			      "--appendonly",   "no",     "--bind", "127.0.0.1", NULL};

	snprintf(p, sizeof(p), "%d", port);
	return spawn(argv);
}

static void single_redis(void)
{
	struct ctx c;
	int p1 = t_free_port(), p2 = t_free_port();
	pid_t a, b;
	char addrs[64];

	if (access(t_redis_server(), X_OK) != 0)
		T_SKIP("no %s", t_redis_server());
	a = start_single(p1);
	b = start_single(p2);
	usleep(300 * 1000);
	snprintf(addrs, sizeof(addrs), "127.0.0.1:%d", p1);
	setup(&c, addrs);
	wait_known(&c);
	ASSERT(cluster_up(c.cl));
	ASSERT(!cluster_is_cluster(c.cl));
	ASSERT_STREQ(call(&c, "SET", "sl:{e1}:x", "1"), "OK");
	ASSERT_STREQ(call(&c, "SET", "sl:{e2}:x", "2"), "OK");
	ASSERT_STREQ(cluster_slot_addr(c.cl, 4781), addrs);
	teardown(&c);

	/* two single Redis are not a cluster: refused, nothing written */
	snprintf(addrs, sizeof(addrs), "127.0.0.1:%d,127.0.0.1:%d", p1, p2);
	setup(&c, addrs);
	run_until(&c, 600, NULL, 0);
	ASSERT(!cluster_up(c.cl));
	ASSERT_EQ(cmd(&c, false, "SET", "sl:{e3}:x", "3"), 0);
	run_until(&c, 5000, &c.replies, 1);
	ASSERT_EQ(c.replies, 1);
	ASSERT_EQ(c.errs, 1);
	teardown(&c);
	redisReply *r = sync_cmd(p1, "EXISTS sl:{e3}:x");
	ASSERT(r && r->type == REDIS_REPLY_INTEGER && r->integer == 0);
	freeReplyObject(r);

	/* one Redis that is down: at once, as before */
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	snprintf(addrs, sizeof(addrs), "127.0.0.1:%d", p1);
	setup(&c, addrs);
	run_until(&c, 300, NULL, 0);
	ASSERT_EQ(cmd(&c, false, "GET", "k", NULL), SL_EUNAVAIL);
	ASSERT(!cluster_up(c.cl));
	teardown(&c);
	kill(b, SIGKILL);
	waitpid(b, NULL, 0);
}

#define TESTS(X)                                                                                   \
	X(keyslot)                                                                                 \
	X(addrs)                                                                                   \
	X(single_redis)                                                                            \
	X(keyslot_live)                                                                            \
	X(routes_by_slot)                                                                          \
	X(follows_moved)                                                                           \
	X(follows_ask)                                                                             \
	X(tryagain_waits)                                                                          \
	X(wait_group)                                                                              \
	X(wait_short)
T_MAIN()
