/*
 * splitline adjust, race official, lineup, checkin undo: an official's
 * decisions, each one request (fill_* builds its fields) on one session,
 * with who decided and why; the server recomputes the results at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

const char usage_adjust[] =
	"usage: splitline adjust BIB TYPE --reason TEXT --official NAME [--ms N] [--place N]\n"
	"                        [--dead-heat] [--pt PT] [--station ID] [--at TIME] [--clear]\n"
	"\n"
	"Records an official's decision about one bib (PROTOCOL.md, adjust).  TYPE:\n"
	"  penalty      --ms N: the total time added in ms (negative: a bonus taken\n"
	"               off; 0 clears); the adjusted time ranks the race\n"
	"  dq dns dnf scratch exhibition relegation   set; --clear withdraws it\n"
	"  place        --place N: a judges' place (0 clears); the others are\n"
	"               renumbered around it, unless --dead-heat: shared with\n"
	"               the crew at that place\n"
	"  station      --pt PT --station ID: take that station's reading (no\n"
	"               --station: back to the primary)\n"
	"  hand_time    --pt PT --at TIME: a time entered by hand (--clear removes it);\n"
	"               TIME as for passing add: 10:14:03.120 on the event's date in\n"
	"               its time zone, ISO 8601 or now\n"
	"Results are recomputed at once.  Needs an official or admin token.\n";

const char usage_race[] =
	"usage: splitline race official RACE --official NAME [--withdraw]\n"
	"\n"
	"Makes a race's results official (or withdraws that with --withdraw); line-ups\n"
	"of the next round are complete once every race feeding them is official.\n";

const char usage_lineup[] =
	"usage: splitline lineup RACE BIB:LANE... --official NAME --reason TEXT\n"
	"       splitline lineup RACE --clear --official NAME --reason TEXT\n"
	"\n"
	"Replaces the generated line-up of RACE by the crews given, in seeding order,\n"
	"each with its lane (0: none); --clear goes back to the generated line-up.\n";

const char usage_checkin[] =
	"usage: splitline checkin undo BIB --official NAME [--reason TEXT]\n"
	"\n"
	"Undoes the check-in of BIB (the athlete's next scan checks them in again); the\n"
	"undo is a line of the audit trail.  Needs an official or admin token.\n";

struct adjust_args {
	const char *bib, *type, *reason, *official, *pt, *station;
	int64_t ms, place, t;
	bool has_ms, has_place, has_t, clear, dead_heat;
};

static uint32_t adjust_nfields(const struct adjust_args *a)
{
	return 4 + (a->has_ms || a->has_place) + a->dead_heat + !!a->pt + !!a->station +
	       (a->has_t || (a->clear && strcmp(a->type, "hand_time") == 0)) +
	       (a->clear && strcmp(a->type, "hand_time") != 0);
}

static void fill_adjust(msgpack_packer *pk, const void *arg)
{
	const struct adjust_args *a = arg;
	slp_pack_kv_str(pk, "bib", a->bib);
	slp_pack_kv_str(pk, "type", a->type);
	slp_pack_kv_str(pk, "reason", a->reason);
	slp_pack_kv_str(pk, "official", a->official);
	if (a->has_ms)
		slp_pack_kv_int(pk, "ms", a->ms);
	else if (a->has_place)
		slp_pack_kv_int(pk, "place", a->place);
	slp_pack_kv_flag(pk, "dead_heat", a->dead_heat);
	slp_pack_kv_str_opt(pk, "pt", a->pt);
	slp_pack_kv_str_opt(pk, "station", a->station);
	/* "at", never "t": that is the message's type */
	if (a->has_t) {
		slp_pack_kv_int(pk, "at", a->t);
	} else if (a->clear && strcmp(a->type, "hand_time") == 0) {
		slp_pack_key(pk, "at");
		msgpack_pack_nil(pk);
	}
	if (a->clear && strcmp(a->type, "hand_time") != 0)
		slp_pack_kv_bool(pk, "on", false);
}

int cmd_adjust(int argc, char **argv)
{
	struct adjust_args a = {0};
	const char *ms = NULL, *place = NULL, *at = NULL;
	const char *pos[2];
	int ec;
	slc_opt opts[] = {CTL_GLOBAL_OPTS,
			  CTL_OPT("--reason", a.reason),
			  CTL_OPT("--official", a.official),
			  CTL_OPT("--ms", ms),
			  CTL_OPT("--place", place),
			  CTL_OPT("--pt", a.pt),
			  CTL_OPT("--station", a.station),
			  CTL_OPT("--at", at),
			  CTL_FLAG("--clear", a.clear),
			  CTL_FLAG("--dead-heat", a.dead_heat),
			  CTL_END};
	if (ctl_parse_sub(argc, argv, opts, pos, 2, NULL, usage_adjust, &ec))
		return ec;
	if (!a.reason || !a.official || !*a.official)
		return ctl_usage_error(usage_adjust);
	a.bib = pos[0];
	a.type = pos[1];
	static const char *const types[] = {"penalty", "dq",         "dns",        "dnf",
					    "scratch", "exhibition", "relegation", "place",
					    "station", "hand_time"};
	bool known = false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		known |= strcmp(a.type, types[i]) == 0;
	if (!known) {
		fprintf(stderr,
			"%s: adjust type '%s' is not penalty, dq, dns, dnf, scratch, exhibition, "
			"relegation, place, station or hand_time\n",
			ctl_prog, a.type);
		return 2;
	}
	if (strcmp(a.type, "penalty") == 0) {
		if (ctl_parse_int("--ms", ms, -86400000, 86400000, &a.ms))
			return 2;
		a.has_ms = true;
	} else if (strcmp(a.type, "place") == 0) {
		if (ctl_parse_int("--place", place, 0, 100000, &a.place))
			return 2;
		a.has_place = true;
	} else if ((strcmp(a.type, "station") == 0 || strcmp(a.type, "hand_time") == 0) && !a.pt) {
		fprintf(stderr, "%s: adjust %s needs --pt\n", ctl_prog, a.type);
		return 2;
	}
	int rc;
	bool timed = strcmp(a.type, "hand_time") == 0 && !a.clear;
	if (timed && !at) {
		fprintf(stderr,
			"%s: adjust hand_time needs --at TIME (HH:MM:SS on the event's date, ISO "
			"8601 or now) or --clear\n",
			ctl_prog);
		return 2;
	}
	if (timed && (rc = ctl_at_form("--at", at)))
		return rc;
	struct ctl_session ss;
	struct ctl_clock clk;
	if ((rc = ctl_session_open(&ss)))
		return rc;
	sl_buf done = SL_BUF_INIT;
	sl_buf_addf(&done, "bib '%s': %s %s", a.bib, a.type, a.clear ? "cleared" : "recorded");
	if (timed) {
		ctl_fetch_clock(&ss, &clk);
		if ((rc = ctl_at_read("--at", at, &clk, &a.t))) {
			sl_buf_release(&done);
			ctl_session_end(&ss);
			return rc;
		}
		a.has_t = true;
		sl_buf_adds(&done, " at ");
		ctl_fmt_time(&done, a.t, &clk);
	}
	rc = ctl_request_in(&ss, "adjust", adjust_nfields(&a), fill_adjust, &a, "adjust",
			    done.data);
	sl_buf_release(&done);
	ctl_session_end(&ss);
	return rc;
}

struct race_args {
	const char *race, *official;
	bool withdraw;
};

static void fill_race(msgpack_packer *pk, const void *arg)
{
	const struct race_args *r = arg;
	slp_pack_kv_str(pk, "race", r->race);
	slp_pack_kv_str(pk, "official", r->official);
	slp_pack_kv_bool(pk, "on", !r->withdraw);
}

int cmd_race(int argc, char **argv)
{
	struct race_args r = {0};
	const char *pos[2];
	int ec;
	slc_opt opts[] = {CTL_GLOBAL_OPTS, CTL_OPT("--official", r.official),
			  CTL_FLAG("--withdraw", r.withdraw), CTL_END};
	if (ctl_parse_sub(argc, argv, opts, pos, 2, "official", usage_race, &ec))
		return ec;
	if (!r.official || !*r.official)
		return ctl_usage_error(usage_race);
	r.race = pos[1];
	char done[160];
	snprintf(done, sizeof(done), "race '%s': results %s", r.race,
		 r.withdraw ? "no longer official" : "official");
	return ctl_one_request("race_official", 3, fill_race, &r, "race official", done);
}

struct lineup_args {
	const char *race, *official, *reason;
	const char **crews; /* "BIB:LANE" */
	int n;
	bool clear;
};

static void fill_lineup(msgpack_packer *pk, const void *arg)
{
	const struct lineup_args *l = arg;
	slp_pack_kv_str(pk, "race", l->race);
	slp_pack_kv_str(pk, "official", l->official);
	slp_pack_kv_str(pk, "reason", l->reason);
	slp_pack_key(pk, "lanes");
	if (l->clear) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_array(pk, (size_t)l->n);
	for (int i = 0; i < l->n; i++) {
		const char *colon = strrchr(l->crews[i], ':');
		msgpack_pack_map(pk, 2);
		slp_pack_kv_strn(pk, "bib", l->crews[i], (size_t)(colon - l->crews[i]));
		slp_pack_kv_int(pk, "lane", strtol(colon + 1, NULL, 10));
	}
}

int cmd_lineup(int argc, char **argv)
{
	struct lineup_args l = {0};
	const char *pos[101];
	int npos, ec;
	slc_opt opts[] = {CTL_GLOBAL_OPTS, CTL_OPT("--official", l.official),
			  CTL_OPT("--reason", l.reason), CTL_FLAG("--clear", l.clear), CTL_END};
	if (ctl_parse(argc, argv, opts, pos, 101, &npos, usage_lineup, &ec))
		return ec;
	if (npos < 1 || !l.official || !*l.official || !l.reason || (l.clear != (npos == 1)))
		return ctl_usage_error(usage_lineup);
	l.race = pos[0];
	l.crews = pos + 1;
	l.n = npos - 1;
	for (int i = 0; i < l.n; i++) {
		const char *colon = strrchr(l.crews[i], ':');
		int64_t lane;
		if (!colon || colon == l.crews[i] ||
		    ctl_parse_int("lane", colon + 1, 0, 99, &lane) != 0) {
			fprintf(stderr, "%s: lineup: '%s' is not BIB:LANE (lane 0 to 99)\n",
				ctl_prog, l.crews[i]);
			return 2;
		}
	}
	char done[160];
	snprintf(done, sizeof(done), "race '%s': line-up %s", l.race,
		 l.clear ? "back to the generated one" : "set");
	return ctl_one_request("lineup", 4, fill_lineup, &l, "lineup", done);
}

/* ---- checkin undo ---- */

struct undo_args {
	const char *bib, *official, *reason;
};

static void fill_undo(msgpack_packer *pk, const void *arg)
{
	const struct undo_args *u = arg;
	slp_pack_kv_str(pk, "bib", u->bib);
	slp_pack_kv_str(pk, "official", u->official);
	slp_pack_kv_str(pk, "reason", u->reason ? u->reason : "");
}

int cmd_checkin(int argc, char **argv)
{
	struct undo_args u = {0};
	const char *pos[2];
	int ec;
	slc_opt opts[] = {CTL_GLOBAL_OPTS, CTL_OPT("--official", u.official),
			  CTL_OPT("--reason", u.reason), CTL_END};
	if (ctl_parse_sub(argc, argv, opts, pos, 2, "undo", usage_checkin, &ec))
		return ec;
	if (!u.official || !*u.official)
		return ctl_usage_error(usage_checkin);
	u.bib = pos[1];
	char done[160];
	snprintf(done, sizeof(done), "bib '%s': check-in undone", u.bib);
	return ctl_one_request("checkin_undo", 3, fill_undo, &u, "checkin undo", done);
}
