/*
 * splitline event create: read, check and send an event configuration
 * (evcfg.h does the reading; every problem is reported before anything is
 * sent).
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "evcfg.h"

const char usage_event[] =
	"usage: splitline event create FILE.yaml [--dry-run]\n"
	"\n"
	"Reads the event configuration (protocol/PROTOCOL.md, \"Event configuration\"),\n"
	"checks it and sends it as event_create; sending it again replaces the config\n"
	"and the server recomputes the results.  Needs an admin token.  The event id is\n"
	"the file's 'event' (with --event, the two must agree).  Every problem is\n"
	"reported, as FILE:LINE: PATH: what, before anything is sent, e.g.\n"
	"  race.yaml:12: races[0].points[2].role: expected start, split or finish\n"
	"  race.yaml:7: races[0].rankng: unknown key; did you mean 'ranking'?\n"
	"A key the config does not have is an error, not ignored; so are wave bib\n"
	"ranges that overlap (in a race or across races) and two categories with the\n"
	"same rule.\n"
	"\n"
	"Times: 'timezone: America/New_York' (an IANA zone, a file under\n"
	"/usr/share/zoneinfo) gives the event its clock.  A wave start written\n"
	"without an offset (2015-04-20T10:00:00) is read in it, DST included, and\n"
	"sent with the offset it has that day (-04:00); without a timezone such a\n"
	"start is an error.  Pages show clock times in the event's zone.\n"
	"\n"
	"  --dry-run    only check the file; nothing is sent\n";

/* "event 'ID' (ZONE): 2 races, 3 waves, 8 points, 4 categories" */
static void summarize(const evcfg *cfg, char *out, size_t size)
{
	size_t npoints = 0, nwaves = 0, ncats = 0;
	for (size_t i = 0; i < cfg->nraces; i++) {
		npoints += cfg->races[i].npoints;
		nwaves += cfg->races[i].nwaves;
		ncats += cfg->races[i].ncats;
	}
	snprintf(out, size, "event '%s'%s%s%s: %zu race%s, %zu wave%s, %zu point%s, %zu categor%s",
		 cfg->event, cfg->timezone ? " (" : "", cfg->timezone ? cfg->timezone : "",
		 cfg->timezone ? ")" : "", cfg->nraces, cfg->nraces == 1 ? "" : "s", nwaves,
		 nwaves == 1 ? "" : "s", npoints, npoints == 1 ? "" : "s", ncats,
		 ncats == 1 ? "y" : "ies");
}

int cmd_event(int argc, char **argv)
{
	bool dry = false;
	const char *pos[2];
	int ec;
	slc_opt opts[] = {CTL_GLOBAL_OPTS, CTL_FLAG("--dry-run", dry), CTL_END};
	if (ctl_parse_sub(argc, argv, opts, pos, 2, "create", usage_event, &ec))
		return ec;
	const char *file = pos[1];
	sl_buf errs = SL_BUF_INIT;
	evcfg *cfg = NULL;
	int rc = evcfg_load_file(file, &cfg, &errs);
	if (rc) {
		fputs(errs.data ? errs.data : "", stderr);
		sl_buf_release(&errs);
		return 1;
	}
	sl_buf_release(&errs);
	if (ctl_conn.event && strcmp(ctl_conn.event, cfg->event) != 0) {
		fprintf(stderr, "%s: '%s' is for event '%s', not '%s'\n", ctl_prog, file,
			cfg->event, ctl_conn.event);
		evcfg_free(cfg);
		return 1;
	}
	char summary[384];
	summarize(cfg, summary, sizeof(summary));
	if (dry) {
		printf("%s: ok (dry run, nothing sent)\n", summary);
		evcfg_free(cfg);
		return 0;
	}
	ctl_conn.event = cfg->event;
	struct ctl_session ss;
	if ((rc = ctl_session_open(&ss)) == 0) {
		msgpack_packer pk;
		uint64_t id;
		ctl_req_begin(&pk, &ss.b, ss.c, "event_create", 1, &id);
		slp_pack_key(&pk, "config");
		sl_buf_add(&ss.b, cfg->mp, cfg->mp_len);
		rc = ctl_rpc(ss.c, &ss.b, id, &ss.reply, "event create");
		if (!rc)
			printf("%s: created\n", summary);
		ctl_session_end(&ss);
	}
	evcfg_free(cfg);
	return rc;
}
