/*
 * splitline wave start, passing add, passing void|restore: the times an
 * official types, and taking a read back.
 *
 * Both read --at TIME in the event's clock (ctl_fetch_clock: its date and
 * time zone) and print the time back in it.  A passing is one read sent as
 * a one-read batch of the token's device: first as a check (would it
 * count?), then, unless the server said why not and --force is missing,
 * for real.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "evtime.h"

const char usage_wave[] =
	"usage: splitline wave start RACE WAVE [--at TIME] [--reason TEXT --official NAME]\n"
	"\n"
	"Sets the start time (T0) of a wave; changing it later recomputes every\n"
	"result of the wave.  Needs an official or admin token.\n"
	"\n"
	"  --at TIME         a clock time on the event's date in its time zone (09:55,\n"
	"                    9:55:30, 09:55:30.250), ISO 8601 with an offset\n"
	"                    (2015-04-20T09:55:00-04:00) or without (read in the event's\n"
	"                    zone), or \"now\" (the default).  Clock times need the\n"
	"                    event's 'timezone' (its config); the time is printed back\n"
	"                    in that zone.\n"
	"  --reason TEXT     why (required once the race's results are official: the\n"
	"                    change marks them corrected)\n"
	"  --official NAME   who (required with --reason)\n";
const char usage_passing[] =
	"usage: splitline passing add --bib BIB --pt POINT --at TIME [--kind manual|handheld]\n"
	"                             [--force]\n"
	"       splitline passing void|restore [--dev DEVICE] --seq N --reason TEXT\n"
	"                             --official NAME\n"
	"\n"
	"Records one passing of a bib at a timing point, as a one-read batch of the\n"
	"token's device.  An official's or admin's token without a device writes as\n"
	"its own device (official-<12 hex digits of the token's hash>), numbered by\n"
	"the server, so two officials never take each other's seqs; a token with a\n"
	"device (a reader's, say) numbers it from the clock in ms, and once more from\n"
	"the seq the server expects when it answers \"gap\".  A manual or handheld\n"
	"read counts only where the point has no RFID read for the athlete.\n"
	"\n"
	"  --bib BIB     the athlete's bib\n"
	"  --pt POINT    the timing point id\n"
	"  --at TIME     a clock time on the event's date in its time zone (13:48:05,\n"
	"                9:48), ISO 8601 (with an offset, or without: in the event's\n"
	"                zone) or \"now\" (the years 2000 to 2100)\n"
	"  --kind KIND   manual (default) or handheld\n"
	"  --force       record it even when it will not count as typed: first the\n"
	"                server says why not (no participant with that bib, a point\n"
	"                the athlete's race does not have, a time before the wave's\n"
	"                start, a mat read already there), and without --force\n"
	"                nothing is recorded and the exit status is 1\n"
	"\n"
	"passing void takes one read back: it stays in the log but counts for\n"
	"nothing (a passing entered for the wrong bib, a tag that crossed the mat on a\n"
	"spectator); the athlete's result is computed again without it.  passing\n"
	"restore makes it count again.  Both are decisions in the audit trail.\n"
	"\n"
	"  --dev DEVICE     the device that sent the read (passing add prints it, and\n"
	"                   the audit trail lists it with each hand-entered passing);\n"
	"                   default: this token's own device, where an official's\n"
	"                   hand-entered passings are\n"
	"  --seq N          the read's seq on that device\n"
	"  --reason TEXT    why\n"
	"  --official NAME  who\n";

/* ---- wave start ---- */

struct wave_args {
	const char *race, *wave, *reason, *official;
	int64_t t0;
};

static void fill_wave(msgpack_packer *pk, const void *arg)
{
	const struct wave_args *w = arg;
	slp_pack_kv_str(pk, "race", w->race);
	slp_pack_kv_str(pk, "wave", w->wave);
	slp_pack_kv_int(pk, "t0", w->t0);
	slp_pack_kv_str_opt(pk, "reason", w->reason);
	slp_pack_kv_str_opt(pk, "official", w->official);
}

int cmd_wave(int argc, char **argv)
{
	const char *at = "now", *reason = NULL, *official = NULL;
	const char *pos[3];
	int ec;
	slc_opt opts[] = {CTL_GLOBAL_OPTS, CTL_OPT("--at", at), CTL_OPT("--reason", reason),
			  CTL_OPT("--official", official), CTL_END};
	if (ctl_parse_sub(argc, argv, opts, pos, 3, "start", usage_wave, &ec))
		return ec;
	struct wave_args w = {pos[1], pos[2], reason, official, 0};
	int rc;
	if ((rc = ctl_at_form("--at", at)))
		return rc;
	struct ctl_session ss;
	struct ctl_clock clk;
	if ((rc = ctl_begin_timed(&ss, &clk, at, &w.t0)))
		return rc;
	sl_buf done = SL_BUF_INIT;
	sl_buf_addf(&done, "wave '%s' of race '%s' starts at ", w.wave, w.race);
	ctl_fmt_time(&done, w.t0, &clk);
	rc = ctl_request_in(&ss, "wave_start", 3 + !!reason + !!official, fill_wave, &w,
			    "wave start", done.data);
	sl_buf_release(&done);
	ctl_session_end(&ss);
	return rc;
}

/* ---- passing add ---- */

/* One passing being added (or a read taken back), and where it stands. */
struct passing {
	const char *verb, *bib, *pt, *at, *kind, *dev, *seqarg, *reason, *official;
	bool force;
	struct ctl_clock clk;
	char device[80], seqs[16];
	bool by_server; /* an official's own device: the server numbers it */
	uint64_t seq;
	slp_read r;
	sl_buf warn; /* what the check said will not count, as lines */
};

/* The arguments, checked before connecting: 0 to go on, or -1 with *ec set. */
static int passing_args(int argc, char **argv, struct passing *p, int *ec)
{
	const char *pos[1];
	int npos;
	slc_opt opts[] = {CTL_GLOBAL_OPTS,
			  CTL_OPT("--bib", p->bib),
			  CTL_OPT("--pt", p->pt),
			  CTL_OPT("--at", p->at),
			  CTL_OPT("--kind", p->kind),
			  CTL_FLAG("--force", p->force),
			  CTL_OPT("--dev", p->dev),
			  CTL_OPT("--seq", p->seqarg),
			  CTL_OPT("--reason", p->reason),
			  CTL_OPT("--official", p->official),
			  CTL_END};
	if (ctl_parse(argc, argv, opts, pos, 1, &npos, usage_passing, ec))
		return -1;
	p->verb = npos == 1 ? pos[0] : "";
	if (strcmp(p->verb, "add") && strcmp(p->verb, "void") && strcmp(p->verb, "restore")) {
		*ec = ctl_usage_error(usage_passing);
		return -1;
	}
	*ec = 2;
	if (strcmp(p->verb, "add") != 0) {
		const char *stray = p->bib	  ? "--bib"
				    : p->pt	  ? "--pt"
				    : p->at	  ? "--at"
				    : p->force	  ? "--force"
				    : strcmp(p->kind, "manual") ? "--kind"
								: NULL;
		if (stray) {
			fprintf(stderr, "%s: %s is for passing add, not passing %s\n", ctl_prog,
				stray, p->verb);
			return -1;
		}
		if ((p->dev && !*p->dev) || !p->seqarg || !p->reason || !*p->reason ||
		    !p->official || !*p->official) {
			fprintf(stderr, "%s: passing %s needs --seq, --reason and --official\n",
				ctl_prog, p->verb);
			return -1;
		}
		int64_t seq;
		if (ctl_parse_int("--seq", p->seqarg, 1, (int64_t)SL_SEQ_MAX, &seq) < 0)
			return -1;
		p->seq = (uint64_t)seq;
		return 0;
	}
	if (p->dev || p->seqarg || p->reason || p->official) {
		fprintf(stderr, "%s: %s is for passing void and restore, not passing add\n",
			ctl_prog,
			p->dev ? "--dev" : p->seqarg ? "--seq" : p->reason ? "--reason" : "--official");
		return -1;
	}
	if (!p->bib || !*p->bib || !p->pt || !*p->pt || !p->at) {
		fprintf(stderr, "%s: passing add needs --bib, --pt and --at\n", ctl_prog);
		return -1;
	}
	int k = slp_kind_parse(p->kind, strlen(p->kind));
	if (k != SLP_KIND_MANUAL && k != SLP_KIND_HANDHELD) {
		fprintf(stderr, "%s: --kind '%s' is not manual or handheld\n", ctl_prog, p->kind);
		return -1;
	}
	if ((*ec = ctl_at_form("--at", p->at)))
		return -1;
	p->r.bib = p->bib;
	p->r.bib_len = strlen(p->bib);
	p->r.pt = p->pt;
	p->r.pt_len = strlen(p->pt);
	p->r.kind = k;
	p->r.hits = -1;
	return 0;
}

/*
 * The device the token writes as, and who numbers it (hello's device and
 * seqs).  seq: the server's for an official's own device; else the clock
 * in ms for a device's first passing.  The CLI keeps no journal, so when
 * the server answers "gap" (the device has passings already) it sends
 * once more with the seq the server expects.  0, or 1 (printed).
 */
static int passing_device(const struct ctl_session *ss, struct passing *p)
{
	const char *v;
	size_t vn;
	if (slp_get_str(&ss->hello.root, "device", &v, &vn) == 0 && vn < sizeof(p->device))
		memcpy(p->device, v, vn), p->device[vn] = '\0';
	if (slp_get_str(&ss->hello.root, "seqs", &v, &vn) == 0 && vn < sizeof(p->seqs))
		memcpy(p->seqs, v, vn), p->seqs[vn] = '\0';
	if (!p->device[0]) {
		fprintf(stderr,
			"%s: passing add: this token has no device and cannot send passings\n",
			ctl_prog);
		return 1;
	}
	p->by_server = strcmp(p->seqs, "server") == 0;
	p->seq = (uint64_t)sl_now_ms();
	return 0;
}

/* Send the passings request (a check only when check); wsc_rpc's code. */
static int passing_rpc(struct ctl_session *ss, struct passing *p, bool check, char *err,
		       size_t errsize)
{
	msgpack_packer pk;
	uint64_t id;
	sl_buf_reset(&ss->b);
	ctl_req_begin(&pk, &ss->b, ss->c, "passings", 1 + check + !p->by_server, &id);
	slp_pack_kv_flag(&pk, "check", check);
	if (!p->by_server)
		slp_pack_kv_int(&pk, "seq", (int64_t)p->seq);
	slp_pack_key(&pk, "reads");
	slp_pack_reads(&pk, &p->r, 1);
	return wsc_rpc(ss->c, &ss->b, id, CTL_RPC_MS, &ss->reply, err, errsize);
}

/*
 * First ask whether it would count (nothing is written): a bib nobody has,
 * a point the race does not have, a time before the start, a hand read
 * where the mat has one.  Then refuse unless --force.  0, or 1 (printed).
 */
static int passing_check(struct ctl_session *ss, struct passing *p)
{
	char err[512];
	if (passing_rpc(ss, p, true, err, sizeof(err))) {
		fprintf(stderr, "%s: passing add: %s\n", ctl_prog, err);
		return 1;
	}
	const msgpack_object_array *ws;
	if (slp_get_arr(&ss->reply.root, "warnings", &ws) == 0) {
		for (uint32_t i = 0; i < ws->size; i++) {
			const char *m;
			size_t mn;
			if (slp_get_str(&ws->ptr[i], "msg", &m, &mn) == 0) {
				/* the server says instants in UTC: here, the event's zone */
				sl_buf_addf(&p->warn, "%s: passing add: ", ctl_prog);
				evtime_relocalize(&p->warn, m, mn, p->clk.tz);
				sl_buf_adds(&p->warn, "\n");
			}
		}
	}
	slp_msg_release(&ss->reply);
	if (p->warn.len && !p->force) {
		fputs(p->warn.data, stderr);
		fprintf(stderr,
			"%s: passing add: nothing recorded; if it is right all the same, "
			"run it again with --force\n",
			ctl_prog);
		return 1;
	}
	return 0;
}

/* Record it, once more with the server's seq after a "gap": 0, or 1 (printed). */
static int passing_send(struct ctl_session *ss, struct passing *p)
{
	char err[512];
	for (int attempt = 0;; attempt++) {
		int rc = passing_rpc(ss, p, false, err, sizeof(err));
		int64_t expected;
		if (rc == SL_EGAP && attempt == 0 && !p->by_server &&
		    slp_get_int(&ss->reply.root, "expected", &expected) == 0 && expected > 0) {
			p->seq = (uint64_t)expected;
			slp_msg_release(&ss->reply);
			continue;
		}
		if (rc) {
			fprintf(stderr, "%s: passing add: %s\n", ctl_prog, err);
			return 1;
		}
		return 0;
	}
}

static void passing_print(const struct ctl_session *ss, struct passing *p)
{
	bool dup = false;
	int64_t got;
	slp_get_bool(&ss->reply.root, "dup", &dup);
	if (slp_get_int(&ss->reply.root, "seq", &got) == 0 && got > 0)
		p->seq = (uint64_t)got;
	sl_buf ts = SL_BUF_INIT;
	ctl_fmt_time(&ts, p->r.t, &p->clk);
	printf("passing of bib '%s' at '%s' %s recorded (%s, device '%s', seq %llu)%s\n", p->bib,
	       p->pt, ts.data, p->kind, p->device, (unsigned long long)p->seq,
	       dup ? ": already there" : "");
	printf("to take it back: splitline passing void --dev %s --seq %llu --reason TEXT "
	       "--official NAME\n",
	       p->device, (unsigned long long)p->seq);
	sl_buf_release(&ts);
	if (p->warn.len) /* --force: recorded, and said what it will not do */
		fputs(p->warn.data, stderr);
}

/* ---- passing void, passing restore ---- */

static void fill_void(msgpack_packer *pk, const void *arg)
{
	const struct passing *p = arg;
	slp_pack_kv_str(pk, "dev", p->dev);
	slp_pack_kv_int(pk, "seq", (int64_t)p->seq);
	slp_pack_kv_bool(pk, "on", strcmp(p->verb, "void") == 0);
	slp_pack_kv_str(pk, "reason", p->reason);
	slp_pack_kv_str(pk, "official", p->official);
}

/* Without --dev: the token's own device (an official's hand entries). */
static int passing_void(struct passing *p)
{
	bool on = strcmp(p->verb, "void") == 0;
	char what[32], done[200];
	struct ctl_session ss;
	int rc = ctl_session_begin(&ss);
	if (!rc && !p->dev) {
		const char *v;
		size_t vn;
		if (slp_get_str(&ss.hello.root, "device", &v, &vn) == 0 && vn &&
		    vn < sizeof(p->device)) {
			memcpy(p->device, v, vn);
			p->device[vn] = '\0';
			p->dev = p->device;
		} else {
			fprintf(stderr, "%s: passing %s: this token has no device: say --dev\n",
				ctl_prog, p->verb);
			rc = 2;
		}
	}
	if (!rc) {
		snprintf(what, sizeof(what), "passing %s", p->verb);
		snprintf(done, sizeof(done), "read %llu of device '%s' %s",
			 (unsigned long long)p->seq, p->dev,
			 on ? "is void: it counts for nothing" : "counts again");
		rc = ctl_request_in(&ss, "read_void", 5, fill_void, p, what, done);
	}
	ctl_session_end(&ss);
	return rc;
}

int cmd_passing(int argc, char **argv)
{
	struct passing p = {.kind = "manual"};
	struct ctl_session ss;
	int rc;
	if (passing_args(argc, argv, &p, &rc))
		return rc;
	if (strcmp(p.verb, "add") != 0)
		return passing_void(&p);
	if ((rc = ctl_begin_timed(&ss, &p.clk, p.at, &p.r.t)))
		return rc;
	sl_buf_init(&p.warn);
	if (!(rc = passing_device(&ss, &p)) && !(rc = passing_check(&ss, &p)) &&
	    !(rc = passing_send(&ss, &p)))
		passing_print(&ss, &p);
	sl_buf_release(&p.warn);
	ctl_session_end(&ss);
	return rc;
}
