/*
 * rescore.c: splitline-reader --rescore (rsc.h does the filtering): raw.jrn
 * filtered again with other settings into <journal>/rescore-<device>/pass.jrn
 * and forwarded (fwd.h) as that new device until all is acked.  No
 * decoder, no loop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader.h"
#include "rsc.h"

static const char *prog = "splitline-reader";

static volatile sig_atomic_t rescore_stop;

static void rescore_signal(int sig)
{
	rescore_stop = 1;
}

/* The device the live reader forwards as (from its status.json), if known. */
static bool same_device_as_live(const char *journal, const char *dev)
{
	char path[4200], buf[4096];
	snprintf(path, sizeof(path), "%s/status.json", journal);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char want[128];
	snprintf(want, sizeof(want), "\"device\":\"%s\"", dev);
	return strstr(buf, want) != NULL;
}

static int push_pass(void *ctx, uint64_t idx, const jrn_rec *p)
{
	fwd_push(ctx, p);
	return 0;
}

static void rescore_line(const char *dev, const fwd_stats *st)
{
	fprintf(stderr, "%s: rescore %s: %s, passings %llu, acked %llu, pending %llu\n", prog, dev,
		st->connected ? "connected" : "NOT connected", (unsigned long long)st->total,
		(unsigned long long)st->acked, (unsigned long long)(st->total - st->acked));
}

/* --rescore: filter raw.jrn again into <journal>/rescore-<device>/pass.jrn
 * and forward it as <device> until everything is acked.  Exit code. */
int reader__rescore(const reader_opts *o, fwd_cfg *fc, const flt_cfg *fcfg, int status_every)
{
	if (same_device_as_live(o->journal, o->device)) {
		fprintf(stderr,
			"%s: --device '%s' is the reader's own device: its seqs are taken; "
			"rescore as a new device\n",
			prog, o->device);
		return 2;
	}
	char dir[4096], raw[4200], pass[4200], ackp[4200], err[600];
	snprintf(raw, sizeof(raw), "%s/raw.jrn", o->journal);
	if (access(raw, R_OK) != 0) {
		fprintf(stderr, "%s: cannot read '%s': %s\n", prog, raw, strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/rescore-%s", o->journal, o->device);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create '%s': %s\n", prog, dir, strerror(errno));
		return 1;
	}
	snprintf(pass, sizeof(pass), "%s/pass.jrn", dir);
	snprintf(ackp, sizeof(ackp), "%s/acked", dir);
	rsc_stats rs;
	if (rsc_run(raw, fcfg, pass, &rs, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	if (rs.torn)
		sl_warn("'%s': %llu bytes at the end not (yet) a whole record: ignored", raw,
			(unsigned long long)rs.torn);
	sl_info("rescore: %llu raw reads -> %llu passings in '%s' (%llu from an earlier run)",
		(unsigned long long)rs.raw, (unsigned long long)rs.passes, pass,
		(unsigned long long)rs.kept);
	uint64_t acked = 0;
	jrn_ack_load(ackp, &acked);
	if (acked > rs.passes)
		acked = 0;
	fc->device = o->device;
	fc->pt = o->point;
	fc->ack_path = ackp;
	fwd f;
	fwd_init(&f, fc, acked);
	/* push the journal as written: seq i = record i */
	if (rsc_scan(pass, push_pass, &f, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		fwd_release(&f);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, rescore_signal);
	signal(SIGTERM, rescore_signal);
	if (fwd_start(&f) != 0) {
		fprintf(stderr, "%s: cannot start the forwarder thread\n", prog);
		fwd_release(&f);
		return 1;
	}
	fwd_stats st;
	int64_t last = wsc_mono_ms();
	for (;;) {
		fwd_get_stats(&f, &st);
		if (st.acked >= st.total || rescore_stop)
			break;
		int64_t now = wsc_mono_ms();
		if (status_every > 0 && now - last >= (int64_t)status_every * 1000) {
			rescore_line(o->device, &st);
			last = now;
		}
		usleep(50000);
	}
	fwd_stop(&f, 0);
	fwd_get_stats(&f, &st);
	rescore_line(o->device, &st);
	fwd_release(&f);
	if (st.acked < st.total) {
		fprintf(stderr, "%s: rescore %s interrupted: %llu passings not acked; run it again\n",
			prog, o->device, (unsigned long long)(st.total - st.acked));
		return 1;
	}
	return 0;
}

