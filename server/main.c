/*
 * main.c: splitlined, wiring only.
 *
 * Parses the options against one table (name, type, default, bounds: a bad
 * value stops the program naming the option and the allowed range), then
 * builds, on one libuv loop, the HTTP/WebSocket front (net/net.h), which
 * loads each event it serves (its core and its event log in Redis) on first
 * use: every event in the Redis, or only --event's.
 *
 * Shutdown on SIGINT/SIGTERM: net_shutdown (WebSockets closed with 1001, the
 * fan-out tick stopped, then every event's log closed: last snapshots) ->
 * net_destroy (lws context) and the signal handles closed -> the loop ends
 * by itself once every handle is closed -> exit 0.  A second signal exits at
 * once with status 1.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "core.h"
#include "net/net.h"
#include "sl.h"
#include "slid.h"
#include "store/log.h"

/* ---- configuration ------------------------------------------------------- */

enum opt_type { OPT_STR, OPT_INT, OPT_ENUM, OPT_ADDR };

struct opt {
	const char *name;
	enum opt_type type;
	const char *def; /* NULL: required (or computed) */
	long long min, max;
	const char *choices; /* OPT_ENUM: "a|b|c" */
	const char *help;
	const char *val;
};

enum {
	O_EVENT,
	O_LISTEN,
	O_PORT,
	O_REDIS,
	O_ADMIN_TOKEN_FILE,
	O_WEB_ROOT,
	O_TICK_MS,
	O_REDIS_TIMEOUT_MS,
	O_REDIS_WAIT,
	O_REDIS_WAIT_MS,
	O_SNAPSHOT_EVERY,
	O_LOG_LEVEL,
	O_REUSE_PORT,
	O_QUEUE_KIB,
	O_SPECTATOR_QUEUE_KIB,
	O_EVENT_IDLE_S,
	O_COUNT
};

static struct opt opts[O_COUNT] = {
	[O_EVENT] = {"event", OPT_STR, "", 0, 64, NULL,
		     "serve this event only, [a-z0-9-]{1,64} (default: every event in the Redis)",
		     NULL},
	[O_LISTEN] = {"listen", OPT_STR, "0.0.0.0", 1, 255, NULL, "address to listen on", NULL},
	[O_PORT] = {"port", OPT_INT, "8080", 1, 65535, NULL, "HTTP and WebSocket port", NULL},
	[O_REDIS] = {"redis", OPT_ADDR, "127.0.0.1:6379", 1, 65535, NULL,
		     "one Redis, or several seed nodes of a Redis Cluster (comma-separated; "
		     "each event goes to the primary that owns its slot)",
		     NULL},
	[O_ADMIN_TOKEN_FILE] = {"admin-token-file", OPT_STR, "", 0, PATH_MAX, NULL,
				"file holding the admin token (one line)", NULL},
	[O_WEB_ROOT] = {"web-root", OPT_STR, "", 0, PATH_MAX, NULL,
			"the web pages (default: <prefix>/share/splitline/web beside an "
			"installed binary, else the source tree's clients/web, else ./clients/web)",
			NULL},
	[O_TICK_MS] = {"tick-ms", OPT_INT, "100", 5, 60000, NULL, "fan-out period in ms", NULL},
	[O_REDIS_TIMEOUT_MS] = {"redis-timeout-ms", OPT_INT, "2000", 50, 600000, NULL,
				"Redis connect and command timeout in ms", NULL},
	[O_REDIS_WAIT] = {"redis-wait", OPT_ENUM, "auto", 0, 0, "auto|0|1|2|3|4|5",
			  "replicas that must confirm a device's batch or a token change (Redis WAIT) "
			  "before it is acknowledged; auto: 1 with a Redis Cluster, 0 with one Redis",
			  NULL},
	[O_REDIS_WAIT_MS] = {"redis-wait-ms", OPT_INT, "1000", 10, 60000, NULL,
			     "how long to wait for them; what they did not confirm in time is "
			     "answered 'unavailable' (the device sends it again)", NULL},
	[O_SNAPSHOT_EVERY] = {"snapshot-every", OPT_INT, "5000", 1, 100000000, NULL,
			      "records folded between snapshots", NULL},
	[O_LOG_LEVEL] = {"log-level", OPT_ENUM, "info", 0, 0, "error|warn|info|debug",
			 "log verbosity", NULL},
	[O_REUSE_PORT] = {"reuse-port", OPT_ENUM, "no", 0, 0, "no|yes",
			  "yes: share the port with other nodes (SO_REUSEPORT; one node per core)",
			  NULL},
	[O_QUEUE_KIB] = {"queue-kib", OPT_INT, "65536", 64, 4194304, NULL,
			 "KiB a WebSocket may have unsent (queued, not yet taken by the kernel) "
			 "before it is closed with 4008: devices, desks, officials, admins",
			 NULL},
	[O_SPECTATOR_QUEUE_KIB] = {"spectator-queue-kib", OPT_INT, "4096", 64, 4194304, NULL,
				   "the same for spectators (no token, or a spectator token)",
				   NULL},
	[O_EVENT_IDLE_S] = {"event-idle-s", OPT_INT, "600", 1, 86400, NULL,
			    "seconds an event stays loaded with no connection or request on it "
			    "(not --event's)",
			    NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: splitlined [--event ID] [options]\n\n"
		   "Serves the Splitline events in a Redis (or one, with --event): WebSocket "
		   "/ws, HTTP /health and /api, web pages.\n\noptions:\n");
	for (int i = 0; i < O_COUNT; i++) {
		const struct opt *o = &opts[i];
		char arg[48];
		if (o->type == OPT_ENUM)
			snprintf(arg, sizeof(arg), "--%s %s", o->name, o->choices);
		else
			snprintf(arg, sizeof(arg), "--%s %s", o->name,
				 o->type == OPT_INT    ? "N"
				 : o->type == OPT_ADDR ? "HOST:PORT[,...]"
						       : "VALUE");
		fprintf(f, "  %-36s %s", arg, o->help);
		if (o->type == OPT_INT)
			fprintf(f, " (%lld..%lld, default %s)", o->min, o->max, o->def);
		else if (o->def && o->def[0])
			fprintf(f, " (default %s)", o->def);
		fputc('\n', f);
	}
	fprintf(f, "  %-36s %s\n", "--help", "show this text");
}

static int die_usage(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "splitlined: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n(see splitlined --help)\n");
	return 2;
}

static bool parse_ll(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return *s && !*end && errno == 0;
}

static bool in_choices(const char *val, const char *choices)
{
	size_t n = strlen(val);
	const char *p = choices;
	while (*p) {
		size_t k = strcspn(p, "|");
		if (k == n && strncmp(p, val, n) == 0)
			return true;
		p += k + (p[k] == '|');
	}
	return false;
}

/* 0, or -1 with "bad value" and what the option expects on stderr. */
static int check_opt(struct opt *o)
{
	long long v;
	char why[160] = "";
	size_t len = strlen(o->val);
	bool ok = true;
	char expect[256];

	switch (o->type) {
	case OPT_INT:
		ok = parse_ll(o->val, &v) && v >= o->min && v <= o->max;
		snprintf(expect, sizeof(expect), "an integer in %lld..%lld", o->min, o->max);
		break;
	case OPT_ENUM:
		ok = in_choices(o->val, o->choices);
		snprintf(expect, sizeof(expect), "one of %s", o->choices);
		break;
	case OPT_ADDR:
		ok = cluster_addrs_check(o->val, why, sizeof(why)) == 0;
		snprintf(expect, sizeof(expect), "HOST:PORT, or up to %d of them comma-separated (%s)",
			 CLUSTER_ADDRS_MAX, why);
		break;
	case OPT_STR:
		ok = (long long)len >= o->min && (long long)len <= o->max;
		snprintf(expect, sizeof(expect), "%lld to %lld characters", o->min, o->max);
		break;
	}
	if (ok)
		return 0;
	fprintf(stderr, "splitlined: bad value '%s' for --%s: expected %s\n", o->val, o->name,
		expect);
	return -1;
}

/* Returns 0, 1 for --help (done), or an exit status >= 2. */
static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		size_t nl;
		int which = -1;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 1;
		}
		if (strncmp(a, "--", 2) != 0)
			return die_usage("unexpected argument '%s'%s", a, "");
		a += 2;
		nl = strcspn(a, "=");
		for (int k = 0; k < O_COUNT; k++)
			if (strlen(opts[k].name) == nl && strncmp(opts[k].name, a, nl) == 0)
				which = k;
		if (which < 0)
			return die_usage("unknown option '%s'%s", argv[i], "");
		if (a[nl] == '=')
			val = a + nl + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return die_usage("option '--%s' needs a value%s", opts[which].name, "");
		opts[which].val = val;
	}
	for (int k = 0; k < O_COUNT; k++) {
		if (!opts[k].val)
			opts[k].val = opts[k].def;
		if (!opts[k].val)
			return die_usage("missing required option '--%s'%s", opts[k].name, "");
		if (check_opt(&opts[k]) < 0)
			return 2;
	}
	if (opts[O_EVENT].val[0] && !sl_event_id_ok(opts[O_EVENT].val, strlen(opts[O_EVENT].val)))
		return die_usage("bad value '%s' for --event: expected " SL_EVENT_ID_WORDS "%s",
				 opts[O_EVENT].val, "");
	return 0;
}

static int ival(int k)
{
	return (int)strtol(opts[k].val, NULL, 10);
}

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The pages, when --web-root is not given: an installed splitlined finds them
 * under its prefix (<prefix>/bin/splitlined -> <prefix>/share/splitline/web,
 * where `cmake --install` puts them); one run from its build folder finds the
 * source tree it was built from (SL_WEB_SOURCE_DIR, set by CMake); else
 * ./clients/web.  The first folder holding an index.html wins.
 */
static char *default_web_root(const char *argv0)
{
	char exe[PATH_MAX], cand[3][PATH_MAX + 32];
	int ncand = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0) {
		snprintf(exe, sizeof(exe), "%s", argv0);
		n = (ssize_t)strlen(exe);
	}
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash) {
		*slash = '\0';
		snprintf(cand[ncand++], sizeof(cand[0]), "%s/../share/splitline/web", exe);
	}
#ifdef SL_WEB_SOURCE_DIR
	snprintf(cand[ncand++], sizeof(cand[0]), "%s", SL_WEB_SOURCE_DIR);
#endif
	snprintf(cand[ncand++], sizeof(cand[0]), "./clients/web");
	for (int i = 0; i < ncand; i++) {
		char index[PATH_MAX + 64];
		struct stat st;

		snprintf(index, sizeof(index), "%.*s/index.html", (int)sizeof(cand[0]), cand[i]);
		if (stat(index, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		char *r = realpath(cand[i], NULL);
		if (r)
			return r;
	}
	return sl_strdup("./clients/web");
}

/*
 * Every connection is a descriptor: take all the open-file limit the
 * system gives (the soft limit up to the hard one) before listening, and
 * say what it is.  Returns the limit now in force.
 */
static long raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			sl_warn("cannot raise the open-file limit from %ld to %ld: %s", (long)was,
				(long)rl.rlim_max, strerror(errno));
			rl.rlim_cur = was;
		}
	}
	return rl.rlim_cur == RLIM_INFINITY ? LONG_MAX : (long)rl.rlim_cur;
}

/* Read the admin token (first line, trimmed) and return its sha256 hex. */
static int admin_hash(const char *path, char out[65])
{
	char line[512];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		sl_error("cannot open '%s': %s", path, strerror(errno));
		return SL_EIO;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
			 line[n - 1] == '\t'))
		line[--n] = '\0';
	if (n < 16) {
		sl_error("admin token in '%s' is too short (at least 16 characters)", path);
		return SL_EINVAL;
	}
	net_sha256_hex(line, n, out);
	memset(line, 0, sizeof(line));
	return 0;
}

/* ---- lifecycle ----------------------------------------------------------- */

struct app {
	uv_loop_t loop;
	uv_signal_t sigint, sigterm;
	net *net;
	bool stopping;
};

static void on_drained(void *ctx)
{
	struct app *a = ctx;

	net_destroy(a->net);
	uv_close((uv_handle_t *)&a->sigint, NULL);
	uv_close((uv_handle_t *)&a->sigterm, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct app *a = h->data;

	if (a->stopping) {
		sl_warn("second signal: exiting now");
		_exit(1);
	}
	a->stopping = true;
	sl_info("caught %s, shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
	net_shutdown(a->net, on_drained, a);
}

int main(int argc, char **argv)
{
	struct app a;
	char hash[65];
	char *web_root = NULL;
	int rc;

	sl_log_set_prefix("splitlined");
	rc = parse_args(argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	{
		static const char *const lv[] = {"error", "warn", "info", "debug"};
		for (int i = 0; i < 4; i++)
			if (strcmp(opts[O_LOG_LEVEL].val, lv[i]) == 0)
				sl_log_level = i;
	}
	if (opts[O_ADMIN_TOKEN_FILE].val[0] && admin_hash(opts[O_ADMIN_TOKEN_FILE].val, hash) < 0)
		return 1;
	web_root = opts[O_WEB_ROOT].val[0] ? sl_strdup(opts[O_WEB_ROOT].val)
					   : default_web_root(argv[0]);
	if (!is_dir(web_root))
		sl_warn("web root '%s' is not a directory: static pages will be missing", web_root);
	signal(SIGPIPE, SIG_IGN);

	memset(&a, 0, sizeof(a));
	uv_loop_init(&a.loop);
	struct evlog_opts lo = {
		.wait = strcmp(opts[O_REDIS_WAIT].val, "auto") == 0 ? -1 : ival(O_REDIS_WAIT),
		.wait_ms = (uint32_t)ival(O_REDIS_WAIT_MS),
		.timeout_ms = (uint32_t)ival(O_REDIS_TIMEOUT_MS),
		.snapshot_every = (uint64_t)strtoull(opts[O_SNAPSHOT_EVERY].val, NULL, 10),
		.max_pending = 10000,
	};

	struct net_opts no = {
		.listen = opts[O_LISTEN].val,
		.port = ival(O_PORT),
		.web_root = web_root,
		.tick_ms = (uint32_t)ival(O_TICK_MS),
		.admin_hash = opts[O_ADMIN_TOKEN_FILE].val[0] ? hash : NULL,
		.reuse_port = strcmp(opts[O_REUSE_PORT].val, "yes") == 0,
		.nofile = raise_nofile(),
		.queue_cap = (size_t)ival(O_QUEUE_KIB) << 10,
		.spectator_cap = (size_t)ival(O_SPECTATOR_QUEUE_KIB) << 10,
		.only = opts[O_EVENT].val[0] ? opts[O_EVENT].val : NULL,
		.redis = opts[O_REDIS].val,
		.store = lo,
		.event_idle_ms = (uint32_t)ival(O_EVENT_IDLE_S) * 1000u,
	};
	sl_info("open-file limit %ld (each connection takes one)", no.nofile);
	a.net = net_new(&a.loop, &no);
	if (!a.net) {
		rc = 1;
		goto out;
	}

	uv_signal_init(&a.loop, &a.sigint);
	uv_signal_init(&a.loop, &a.sigterm);
	a.sigint.data = a.sigterm.data = &a;
	uv_signal_start(&a.sigint, on_signal, SIGINT);
	uv_signal_start(&a.sigterm, on_signal, SIGTERM);
	sl_info("%s%s%s, redis %s, web root '%s'", no.only ? "event '" : "every event",
		no.only ? no.only : "", no.only ? "'" : "", opts[O_REDIS].val, web_root);
	rc = 0;
out:
	uv_run(&a.loop, UV_RUN_DEFAULT);
	net_free(a.net);
	if (uv_loop_close(&a.loop) != 0)
		sl_warn("loop closed with handles still open");
	free(web_root);
	if (rc == 0)
		sl_info("stopped");
	return rc;
}
