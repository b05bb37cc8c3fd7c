/*
 * splitline participants import: a CSV file read and checked whole
 * (csvimport.h), then sent in chunks of CHUNK_ROWS rows, first all as a dry
 * run (the server checks them), then for real; a server's error on a row
 * is shown at the row's line of the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvimport.h"
#include "ctl.h"

#define CHUNK_ROWS 1000

const char usage_participants[] =
	"usage: splitline participants import FILE.csv [--map field=Header,...] [--race ID]\n"
	"                                    [--date-format DD/MM/YYYY|MM/DD/YYYY]\n"
	"                                    [--chip-from-bib] [--blank] [--dry-run]\n"
	"\n"
	"Imports participants from a CSV file whose first line is a header.  Fields:\n"
	"bib reg name first last sex age birth club wave race chip chip2, and\n"
	"fields.<name> for custom fields (only through --map).  Each is read from the\n"
	"column --map names, else from a column whose header is a known spelling of\n"
	"it, in any case and ignoring spaces and punctuation: 'Bib No', 'Race Number',\n"
	"'First Name', 'Surname', 'Gender', 'M/F', 'Date of Birth', 'DOB', 'Club',\n"
	"'Chip ID', 'Tag', 'Transponder', 'Registration Code', ... (weaker guesses:\n"
	"'Number' for bib, 'Team' for club, 'Event' or 'Distance' for race, taken only\n"
	"when no better column is there).  Two columns that fit one field equally are\n"
	"refused: pick one with --map.  Every column that feeds nothing is listed as\n"
	"'columns not imported' (a warning); --map fields.NAME=Header keeps one.\n"
	"\n"
	"A file without a bib or reg column, or without a name column (name, or\n"
	"first and/or last), is refused with the --map that would fix it; --map name=\n"
	"(nothing after =) imports athletes without names, and any field= turns a\n"
	"guessed column off.  reg is the registration code (1 to 64 letters, digits,\n"
	"_ . - +, unique); a row with a reg may leave bib empty: that athlete gets a\n"
	"bib at pickup.\n"
	"\n"
	"The whole file is checked first: bib unique and required unless the row has a\n"
	"reg, sex M/F/X (also Male/Men/Female/Women/W/Girl/Boy; Non-binary/Not\n"
	"specified/Other/Prefer not to say give X), age 0..120, at most two chips, each\n"
	"unique, birth a date: YYYY-MM-DD, DD.MM.YYYY, or DD/MM/YYYY or MM/DD/YYYY; a\n"
	"date that reads only one way (13/05/1990) tells the file's order, and a file\n"
	"whose dates all read both ways needs --date-format.  \"Last, First\" names\n"
	"become \"First Last\".  Every bad row is reported (up to 50), e.g.\n"
	"  people.csv:14: field 'sex': 'Q' is not M, F or X\n"
	"and then nothing is sent.  Otherwise the rows go to the server in chunks of\n"
	"1000, first all as a dry run (the server checks them), then for real.  A bib\n"
	"imported again replaces the earlier entry.  Needs an official or admin token.\n"
	"\n"
	"  --map field=Header,...   columns for fields, e.g. --map sex=M/F,fields.team=Team\n"
	"                           (one --map: a second replaces the first)\n"
	"  --race ID                the race of rows without a race column\n"
	"  --date-format ORDER      dates like 05/03/1990 are DD/MM/YYYY (or dmy) or\n"
	"                           MM/DD/YYYY (or mdy)\n"
	"  --chip-from-bib          the bib is also the participant's (first) chip\n"
	"  --blank                  the file is a chip file: bibs with their chips and no\n"
	"                           athlete (pre-chipped bibs that desks hand out at pickup;\n"
	"                           assign gives one to a registration, chips included)\n"
	"  --dry-run                print which column feeds which field, check locally and\n"
	"                           on the server; import nothing\n"
	"\n"
	"A progress line is shown on stderr when it is a terminal (or when\n"
	"SPLITLINE_PROGRESS=1) and the file has more than 1000 rows.\n"
	"\n"
	"Athletes who fit no category of their race (as the server's categories\n"
	"stand) are imported all the same, and listed on stderr as a warning: how\n"
	"many and the first 20 bibs, e.g.\n"
	"  splitline: warning: 2 participants fit no category of their race: 17, 230\n";

static bool show_progress(size_t nrows)
{
	const char *e = getenv("SPLITLINE_PROGRESS");
	if (e && *e)
		return strcmp(e, "0") != 0;
	return nrows > CHUNK_ROWS && isatty(2);
}

/* Map an err reply of chunk k to a file line and print it. */
static void report_row_err(const char *file, const csvimp *ci, size_t first, size_t n,
			   const slp_msg *reply, const char *msg)
{
	int64_t row = -1;
	if (reply->zone)
		slp_get_int(&reply->root, "row", &row);
	const char *m = msg;
	if (strncmp(m, "rows[", 5) == 0) {
		char *end;
		long r = strtol(m + 5, &end, 10);
		if (*end == ']') {
			if (row < 0)
				row = r;
			m = end + 1;
			if (*m == '.')
				m++;
		}
	}
	if (row >= 0 && (size_t)row < n)
		fprintf(stderr, "%s:%d: %s\n", file, ci->rows[first + (size_t)row].line, m);
	else
		fprintf(stderr, "%s: rows %d-%d: %s\n", file, ci->rows[first].line,
			ci->rows[first + n - 1].line, msg);
}

/*
 * Athletes who fit no category of their race, as the server's replies to
 * the chunks count and name them (PROTOCOL.md, participants): a warning.
 */
#define NOCAT_SHOWN 20
struct nocat {
	size_t n, nbibs;
	char bibs[NOCAT_SHOWN][72];
};

static void nocat_add(struct nocat *nc, const slp_msg *reply)
{
	int64_t n;
	const msgpack_object_array *bibs;
	if (slp_get_int(&reply->root, "no_category", &n) == 0 && n > 0)
		nc->n += (size_t)n;
	if (slp_get_arr(&reply->root, "no_category_bibs", &bibs) < 0)
		return;
	for (uint32_t i = 0; i < bibs->size && nc->nbibs < NOCAT_SHOWN; i++) {
		const msgpack_object *o = &bibs->ptr[i];
		if (o->type == MSGPACK_OBJECT_STR && o->via.str.size < sizeof(nc->bibs[0])) {
			memcpy(nc->bibs[nc->nbibs], o->via.str.ptr, o->via.str.size);
			nc->bibs[nc->nbibs++][o->via.str.size] = '\0';
		}
	}
}

static void nocat_warn(const struct nocat *nc)
{
	if (!nc->n)
		return;
	fprintf(stderr, "%s: warning: %zu participant%s no category of their race:", ctl_prog,
		nc->n, nc->n == 1 ? " fits" : "s fit");
	for (size_t i = 0; i < nc->nbibs; i++)
		fprintf(stderr, "%s %s", i ? "," : "", nc->bibs[i]);
	if (nc->n > nc->nbibs)
		fprintf(stderr, " and %zu more", nc->n - nc->nbibs);
	fputc('\n', stderr);
}

static int send_chunks(wsc *c, const char *file, const csvimp *ci, bool dry, bool progress,
		       size_t *count, struct nocat *nc)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	*count = 0;
	memset(nc, 0, sizeof(*nc));
	for (size_t first = 0; first < ci->nrows; first += CHUNK_ROWS) {
		size_t n = ci->nrows - first < CHUNK_ROWS ? ci->nrows - first : CHUNK_ROWS;
		msgpack_packer pk;
		uint64_t id;
		sl_buf_reset(&b);
		ctl_req_begin(&pk, &b, c, "participants", 2, &id);
		slp_pack_kv_bool(&pk, "dry_run", dry);
		slp_pack_key(&pk, "rows");
		msgpack_pack_array(&pk, n);
		for (size_t i = 0; i < n; i++)
			sl_buf_add(&b, ci->mp.data + ci->rows[first + i].off,
				   ci->rows[first + i].len);
		slp_msg reply;
		char err[512];
		int r = wsc_rpc(c, &b, id, CTL_RPC_MS, &reply, err, sizeof(err));
		if (r) {
			if (progress)
				fputc('\n', stderr);
			if (reply.zone)
				report_row_err(file, ci, first, n, &reply, err);
			else
				fprintf(stderr, "%s: participants: %s\n", ctl_prog, err);
			if (!dry && first > 0)
				fprintf(stderr,
					"%s: the rows before line %d were imported; fix and import "
					"again (a bib imported again replaces its entry)\n",
					ctl_prog, ci->rows[first].line);
			slp_msg_release(&reply);
			rc = 1;
			break;
		}
		int64_t cnt;
		*count += slp_get_int(&reply.root, "count", &cnt) == 0 ? (size_t)cnt : n;
		nocat_add(nc, &reply);
		slp_msg_release(&reply);
		if (progress)
			fprintf(stderr, "\r%s %zu/%zu rows", dry ? "checking" : "importing",
				first + n, ci->nrows);
	}
	if (progress && !rc)
		fputc('\n', stderr);
	sl_buf_release(&b);
	return rc;
}

int cmd_participants(int argc, char **argv)
{
	bool dry = false, chip_from_bib = false, blank = false;
	const char *map = NULL, *race = NULL, *date_format = NULL;
	const char *pos[2];
	int ec;
	slc_opt opts[] = {CTL_GLOBAL_OPTS,
			  CTL_OPT("--map", map),
			  CTL_OPT("--race", race),
			  CTL_OPT("--date-format", date_format),
			  CTL_FLAG("--chip-from-bib", chip_from_bib),
			  CTL_FLAG("--blank", blank),
			  CTL_FLAG("--dry-run", dry),
			  CTL_END};
	if (ctl_parse_sub(argc, argv, opts, pos, 2, "import", usage_participants, &ec))
		return ec;
	const char *file = pos[1];
	char err[512];
	if (csvimp_check_map(map, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", ctl_prog, err);
		return 2;
	}
	int order = date_format ? csvimp_date_order_parse(date_format) : CSVIMP_DATE_AUTO;
	if (order < 0) {
		fprintf(stderr, "%s: --date-format '%s' is not DD/MM/YYYY or MM/DD/YYYY\n",
			ctl_prog, date_format);
		return 2;
	}
	csvimp ci;
	csvimp_opts o = {.map = map,
			 .race = race,
			 .chip_from_bib = chip_from_bib,
			 .blank = blank,
			 .date_order = order};
	int rc = csvimp_parse_file(&ci, file, &o);
	/* what the columns became, before anything is sent or refused */
	sl_buf text = SL_BUF_INIT;
	if (dry && ci.ncols) {
		csvimp_columns_text(&ci, &text);
		printf("columns of '%s':\n%s", file, text.data);
		fflush(stdout);
		sl_buf_reset(&text);
	}
	if (csvimp_unused_text(&ci, &text))
		fprintf(stderr,
			"%s:%d: warning: columns not imported: %s (use --map fields.NAME=Header "
			"to keep one as a custom field)\n",
			file, ci.header_line, text.data);
	sl_buf_release(&text);
	if (rc) {
		fputs(ci.errs.data ? ci.errs.data : "", stderr);
		if (rc == SL_EPARSE)
			fprintf(stderr, "%s: %zu problem%s in '%s': nothing sent\n", ctl_prog,
				ci.nerrors, ci.nerrors == 1 ? "" : "s", file);
		csvimp_release(&ci);
		return 1;
	}
	if (!ci.nrows) {
		fprintf(stderr, "%s: no participants in '%s'\n", ctl_prog, file);
		csvimp_release(&ci);
		return 1;
	}
	struct ctl_session ss;
	if ((rc = ctl_session_open(&ss))) {
		csvimp_release(&ci);
		return rc;
	}
	bool progress = show_progress(ci.nrows);
	size_t count = 0;
	struct nocat nc;
	rc = send_chunks(ss.c, file, &ci, true, progress, &count, &nc);
	if (!rc && dry) {
		printf("%zu participant%s in '%s' %s valid (dry run, nothing imported)\n", ci.nrows,
		       ci.nrows == 1 ? "" : "s", file, ci.nrows == 1 ? "is" : "are");
		nocat_warn(&nc);
	}
	if (!rc && !dry) {
		rc = send_chunks(ss.c, file, &ci, false, progress, &count, &nc);
		if (!rc) {
			printf("imported %zu participants from '%s'\n", count, file);
			nocat_warn(&nc);
		}
	}
	ctl_session_end(&ss);
	csvimp_release(&ci);
	return rc;
}
