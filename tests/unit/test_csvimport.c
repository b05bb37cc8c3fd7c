/*
 * test_csvimport.c: the participants importer's reading of headers (issue
 * 12): known spellings of each field, the columns it drops listed, files
 * without a name or bib column refused with the --map that fixes them, and
 * dates of birth in the orders officials' files use.  Every CSV is built
 * here; rows are checked by unpacking the msgpack the importer would send.
 * (test_clients.c has the row checks that predate these.)
 */
#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "csvimport.h"
#include "slp.h"
#include "t.h"

/* ---- helpers ---- */

static bool has(const sl_buf *b, const char *needle)
{
	bool ok = b->data && strstr(b->data, needle);
	if (!ok)
		fprintf(stderr, "  missing \"%s\" in:\n%s\n", needle,
			b->data ? b->data : "(empty)");
	return ok;
}

static int parse(csvimp *ci, const char *csv, const char *map)
{
	csvimp_opts o = {.map = map};
	return csvimp_parse_mem(ci, "p.csv", csv, strlen(csv), &o);
}

/* Row i's value for key as a string ("" when absent; "#n" for an integer;
 * chips joined with '|'), in a static buffer. */
static const char *get(const csvimp *ci, size_t i, const char *key)
{
	static char out[256];
	out[0] = '\0';
	if (i >= ci->nrows)
		return "(no row)";
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	size_t off = 0;
	if (msgpack_unpack_next(&u, ci->mp.data + ci->rows[i].off, ci->rows[i].len, &off) !=
	    MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(&u);
		return "(bad msgpack)";
	}
	const msgpack_object *o = slp_get(&u.data, key);
	if (o && o->type == MSGPACK_OBJECT_STR) {
		snprintf(out, sizeof(out), "%.*s", (int)o->via.str.size, o->via.str.ptr);
	} else if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		snprintf(out, sizeof(out), "#%llu", (unsigned long long)o->via.u64);
	} else if (o && o->type == MSGPACK_OBJECT_ARRAY) {
		for (uint32_t k = 0; k < o->via.array.size; k++) {
			const msgpack_object *e = &o->via.array.ptr[k];
			size_t n = strlen(out);
			snprintf(out + n, sizeof(out) - n, "%s%.*s", k ? "|" : "",
				 (int)e->via.str.size, e->via.str.ptr);
		}
	} else if (o && o->type == MSGPACK_OBJECT_MAP) {
		snprintf(out, sizeof(out), "{map}");
	}
	msgpack_unpacked_destroy(&u);
	return out;
}

/* What column j feeds ("" when nothing). */
static const char *feeds(const csvimp *ci, size_t j)
{
	if (j >= ci->ncols)
		return "(no column)";
	return ci->cols[j].feeds ? ci->cols[j].feeds : "";
}

static void unused_is(const csvimp *ci, const char *want)
{
	sl_buf b = SL_BUF_INIT;
	csvimp_unused_text(ci, &b);
	ASSERT_STREQ(b.data ? b.data : "", want);
	sl_buf_release(&b);
}

/* ---- the issue's file ---- */

/*
 * The header of issue 12, spaces after the commas, with a bib in front:
 * every column is read, first and last make the name, genders and dates of
 * birth are normalized.  Today's importer read only Chip from it.
 */
static void issue_header_is_read(void)
{
	const char *csv = "Bib, First Name, Last Name, Gender, Date of Birth, Chip\n"
			  "1, Ada, Lovelace, Female, 1815-12-10, C1\n"
			  "2, Alan, Turing, male, 23/06/1912, C2\n"
			  "3, Sam, Doe, Non-binary, 01/02/1990, C3\n"
			  "4, Grace, Hopper, W, 09.12.1906, C4\n";
	csvimp ci;
	ASSERT_EQ(parse(&ci, csv, NULL), 0);
	ASSERT_EQ(ci.nrows, 4);
	ASSERT_STREQ(get(&ci, 0, "name"), "Ada Lovelace");
	ASSERT_STREQ(get(&ci, 0, "sex"), "F");
	ASSERT_STREQ(get(&ci, 0, "birth"), "1815-12-10");
	ASSERT_STREQ(get(&ci, 0, "chips"), "C1");
	ASSERT_STREQ(get(&ci, 1, "name"), "Alan Turing");
	ASSERT_STREQ(get(&ci, 1, "sex"), "M");
	ASSERT_STREQ(get(&ci, 1, "birth"), "1912-06-23"); /* 23/06: day first */
	ASSERT_STREQ(get(&ci, 2, "sex"), "X");
	ASSERT_STREQ(get(&ci, 2, "birth"), "1990-02-01"); /* the file's order */
	ASSERT_STREQ(get(&ci, 3, "sex"), "F");
	ASSERT_STREQ(get(&ci, 3, "birth"), "1906-12-09"); /* dots: day first */
	ASSERT_STREQ(get(&ci, 3, "chips"), "C4");
	ASSERT_EQ(ci.ncols, 6);
	ASSERT_STREQ(feeds(&ci, 0), "bib");
	ASSERT_STREQ(feeds(&ci, 1), "first");
	ASSERT_STREQ(feeds(&ci, 2), "last");
	ASSERT_STREQ(feeds(&ci, 3), "sex");
	ASSERT_STREQ(feeds(&ci, 4), "birth");
	ASSERT_STREQ(feeds(&ci, 5), "chip");
	ASSERT_EQ(ci.date_order, CSVIMP_DATE_DMY);
	unused_is(&ci, "");
	sl_buf t = SL_BUF_INIT;
	csvimp_columns_text(&ci, &t);
	ASSERT(has(&t, "  'Gender'        -> sex\n"));
	ASSERT(has(&t, "'Date of Birth' -> birth (dates like 05/03/1990 read as DD/MM/YYYY, as "
		       "line 3 shows)\n"));
	sl_buf_release(&t);
	csvimp_release(&ci);
}

/* The issue's exact header has no bib: refused, nothing kept, saying how. */
static void issue_exact_header_refused(void)
{
	const char *csv = "First Name, Last Name, Gender, Date of Birth, Chip\n"
			  "Ada, Lovelace, F, 1815-12-10, C1\n";
	csvimp ci;
	ASSERT_EQ(parse(&ci, csv, NULL), SL_EPARSE);
	ASSERT_EQ(ci.nrows, 0);
	ASSERT_EQ(ci.nerrors, 1);
	ASSERT(has(&ci.errs, "p.csv:1: no bib column: name the one with the bib numbers with "
			     "--map bib=Header (or the registration codes with --map reg=Header); "
			     "the columns are 'First Name', 'Last Name', 'Gender', "
			     "'Date of Birth', 'Chip'\n"));
	csvimp_release(&ci);
}

/* ---- spellings ---- */

static void header_spellings(void)
{
	/* clang-format off */
	static const struct {
		const char *header, *field;
	} cases[] = {
		{"Bib #", "bib"},          {"BIB_NO", "bib"},           {"Race Number", "bib"},
		{"Startnummer", "bib"},    {"start-nr.", "bib"},        {"Number", "bib"},
		{"No.", "bib"},            {"Full Name", "name"},       {"Athlete", "name"},
		{"first_name", "first"},   {"Given Name", "first"},     {"Vorname", "first"},
		{"LAST-NAME", "last"},     {"Surname", "last"},         {"Family Name", "last"},
		{"Gender", "sex"},         {"M/F", "sex"},              {"Geschlecht", "sex"},
		{"D.O.B.", "birth"},       {"Birthdate", "birth"},      {"Birth Date", "birth"},
		{"Born", "birth"},         {"Age", "age"},              {"Club", "club"},
		{"Affiliation", "club"},   {"Team", "club"},            {"Chip ID", "chip"},
		{"Tag", "chip"},           {"Transponder", "chip"},     {"RFID", "chip"},
		{"chip 2", "chip2"},       {"Tag2", "chip2"},           {"Start Wave", "wave"},
		{"Corral", "wave"},        {"Race", "race"},            {"Event", "race"},
		{"Distance", "race"},      {"Registration Code", "reg"}, {"Confirmation #", "reg"},
		{"Crew", "name"},
	};
	/* clang-format on */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* the header beside a name and a bib, unless it is one of them */
		char csv[256];
		bool is_bib = strcmp(cases[i].field, "bib") == 0;
		bool is_name = strcmp(cases[i].field, "name") == 0 ||
			       strcmp(cases[i].field, "first") == 0 ||
			       strcmp(cases[i].field, "last") == 0;
		snprintf(csv, sizeof(csv), "%s,%s%s\n", cases[i].header, is_bib ? "" : "Bib,",
			 is_name ? "Reg" : "Name");
		csvimp ci;
		parse(&ci, csv, NULL);
		if (strcmp(feeds(&ci, 0), cases[i].field) != 0) {
			fprintf(stderr, "  header '%s' feeds '%s', not '%s'; errors:\n%s\n",
				cases[i].header, feeds(&ci, 0), cases[i].field,
				ci.errs.data ? ci.errs.data : "");
			ASSERT(0);
		}
		csvimp_release(&ci);
	}
	/* words that are not fields stay out */
	csvimp ci;
	ASSERT_EQ(parse(&ci,
			"Bib,Name,ID,Order ID,Category,Year of Birth,Phone Number\n1,A,2,3,"
			"M40,1980,555\n",
			NULL),
		  0);
	unused_is(&ci, "'ID', 'Order ID', 'Category', 'Year of Birth', 'Phone Number'");
	csvimp_release(&ci);
}

/* A weaker spelling gives way to a stronger one; two equal ones are refused. */
static void spelling_tiers_and_ambiguity(void)
{
	csvimp ci;
	ASSERT_EQ(parse(&ci, "Number,Bib,Name,Team,Club\n1,7,Ann,Relay A,Harriers\n", NULL), 0);
	ASSERT_STREQ(feeds(&ci, 0), "");
	ASSERT_STREQ(feeds(&ci, 1), "bib");
	ASSERT_STREQ(feeds(&ci, 3), "");
	ASSERT_STREQ(feeds(&ci, 4), "club");
	ASSERT_STREQ(get(&ci, 0, "bib"), "7");
	ASSERT_STREQ(get(&ci, 0, "club"), "Harriers");
	ASSERT_STREQ(ci.cols[3].note, "club is read from 'Club'");
	unused_is(&ci, "'Number', 'Team'");
	csvimp_release(&ci);

	/* the Boston file: M/F is the sex, Gender the place by sex */
	const char *boston = "Bib,Name,Age,M/F,Country,Overall,Gender\n3,\"Mensah, Umar\",25,M,"
			     "ETH,1,1\n";
	ASSERT_EQ(parse(&ci, boston, NULL), SL_EPARSE);
	ASSERT(has(&ci.errs, "p.csv:1: columns 'M/F' and 'Gender' both look like field 'sex': "
			     "pick one with --map sex=M/F\n"));
	ASSERT_EQ(ci.nrows, 0);
	csvimp_release(&ci);
	ASSERT_EQ(parse(&ci, boston, "sex=M/F"), 0);
	ASSERT_STREQ(get(&ci, 0, "sex"), "M");
	ASSERT_STREQ(get(&ci, 0, "name"), "Umar Mensah");
	ASSERT_STREQ(ci.cols[3].note, "--map");
	ASSERT_STREQ(ci.cols[6].note, "sex is read from 'M/F'");
	unused_is(&ci, "'Country', 'Overall', 'Gender'");
	csvimp_release(&ci);
	/* the suggestion keeps the --map given */
	ASSERT_EQ(parse(&ci, boston, "fields.country=Country"), SL_EPARSE);
	ASSERT(has(&ci.errs, "pick one with --map fields.country=Country,sex=M/F\n"));
	csvimp_release(&ci);

	/* --map wins, and takes its column from the guesses */
	ASSERT_EQ(parse(&ci, "Bib,Name,Team,Event\n1,Ann,Relay A,Spring 10K\n",
			"fields.team=Team,race="),
		  0);
	ASSERT_STREQ(feeds(&ci, 2), "fields.team");
	ASSERT_STREQ(feeds(&ci, 3), "");
	ASSERT_STREQ(get(&ci, 0, "club"), "");
	ASSERT_STREQ(get(&ci, 0, "race"), "");
	ASSERT_STREQ(get(&ci, 0, "fields"), "{map}");
	ASSERT_STREQ(ci.cols[3].note, "--map race= reads race from no column");
	unused_is(&ci, "'Event'");
	csvimp_release(&ci);
	/* without it, Event is the race */
	ASSERT_EQ(parse(&ci, "Bib,Name,Event\n1,Ann,10k\n", NULL), 0);
	ASSERT_STREQ(get(&ci, 0, "race"), "10k");
	csvimp_release(&ci);
	/* a --map header is found ignoring case and punctuation too */
	ASSERT_EQ(parse(&ci, "Start Nr.,Runner\n1,Ann\n", "bib=start nr"), 0);
	ASSERT_STREQ(get(&ci, 0, "bib"), "1");
	csvimp_release(&ci);
}

/* "Vorname, Name" and "Name, Surname": the name column is the other half. */
static void name_halves(void)
{
	csvimp ci;
	ASSERT_EQ(parse(&ci, "Startnummer,Vorname,Name\n1,Ada,Lovelace\n", NULL), 0);
	ASSERT_STREQ(get(&ci, 0, "name"), "Ada Lovelace");
	ASSERT_STREQ(feeds(&ci, 2), "last");
	csvimp_release(&ci);
	ASSERT_EQ(parse(&ci, "Bib,Name,Surname\n1,Ada,Lovelace\n", NULL), 0);
	ASSERT_STREQ(get(&ci, 0, "name"), "Ada Lovelace");
	ASSERT_STREQ(feeds(&ci, 1), "first");
	csvimp_release(&ci);
	/* a full name is the name, whatever is beside it */
	ASSERT_EQ(parse(&ci, "Bib,Full Name,First Name\n1,Ada Lovelace,Ada\n", NULL), 0);
	ASSERT_STREQ(get(&ci, 0, "name"), "Ada Lovelace");
	ASSERT_STREQ(feeds(&ci, 1), "name");
	csvimp_release(&ci);
	/* with both halves, a name column is the name; a row without one takes
	 * the halves */
	ASSERT_EQ(parse(&ci,
			"Bib,Name,First Name,Last Name\n1,Ada King,Ada,Lovelace\n2,,Alan,"
			"Turing\n",
			NULL),
		  0);
	ASSERT_STREQ(get(&ci, 0, "name"), "Ada King");
	ASSERT_STREQ(get(&ci, 1, "name"), "Alan Turing");
	csvimp_release(&ci);
}

/* ---- columns not imported ---- */

static void unknown_columns_listed(void)
{
	const char *csv = "Bib,Name,Shirt Size,Emergency Phone,,Notes,\n"
			  "1,Ann,M,555-1234,,,\n"
			  "2,Bo,L,,x,,\n";
	csvimp ci;
	ASSERT_EQ(parse(&ci, csv, NULL), 0); /* a warning, not an error */
	ASSERT_EQ(ci.nrows, 2);
	/* the unnamed column with a value is listed, the empty one is not */
	unused_is(&ci, "'Shirt Size', 'Emergency Phone', column 5, 'Notes'");
	sl_buf t = SL_BUF_INIT;
	csvimp_columns_text(&ci, &t);
	ASSERT(has(&t, "  'Shirt Size'      -> not imported\n"));
	ASSERT(has(&t, "  column 7          -> not imported\n"));
	sl_buf_release(&t);
	csvimp_release(&ci);
	/* a custom field keeps one */
	ASSERT_EQ(parse(&ci, csv, "fields.shirt=Shirt Size"), 0);
	ASSERT_STREQ(get(&ci, 0, "fields"), "{map}");
	unused_is(&ci, "'Emergency Phone', column 5, 'Notes'");
	csvimp_release(&ci);
}

/* ---- refusals ---- */

static void no_name_column(void)
{
	csvimp ci;
	ASSERT_EQ(parse(&ci, "Bib,Athlete Full Name,Shirt\n1,Ann Lee,M\n", NULL), SL_EPARSE);
	ASSERT_EQ(ci.nrows, 0);
	ASSERT(has(&ci.errs, "p.csv:1: no name column: add --map 'name=Athlete Full Name' if "
			     "that is where the names are, or --map name= to import athletes "
			     "without names\n"));
	csvimp_release(&ci);
	ASSERT_EQ(parse(&ci, "Bib,Given,Family\n1,Ann,Lee\n", "sex="), SL_EPARSE);
	ASSERT(has(&ci.errs, "no name column: add --map sex=,first=Given,last=Family if"));
	csvimp_release(&ci);
	ASSERT_EQ(parse(&ci, "Bib,Sex,Shirt\n1,F,M\n", NULL), SL_EPARSE);
	ASSERT(has(&ci.errs, "p.csv:1: no name column: name it with --map name=Header (or "
			     "first=Header,last=Header), or --map name= to import athletes without "
			     "names; the columns are 'Bib', 'Sex', 'Shirt'\n"));
	csvimp_release(&ci);
	/* a chip file imported without --blank */
	ASSERT_EQ(parse(&ci, "Bib,Chip\n1,C1\n", NULL), SL_EPARSE);
	ASSERT(has(&ci.errs, "(a chip file of bibs and chips is imported with --blank)\n"));
	csvimp_release(&ci);
	csvimp_opts blank = {.blank = true};
	const char *chips = "Bib,Chip\n1,C1\n";
	ASSERT_EQ(csvimp_parse_mem(&ci, "c.csv", chips, strlen(chips), &blank), 0);
	ASSERT_EQ(ci.nrows, 1);
	csvimp_release(&ci);
	/* name= says so */
	ASSERT_EQ(parse(&ci, "bib,chip,chip2,sex\n1,A1,B1,M\n", "name="), 0);
	ASSERT_EQ(ci.nrows, 1);
	ASSERT_STREQ(get(&ci, 0, "name"), "");
	ASSERT_STREQ(get(&ci, 0, "chips"), "A1|B1");
	csvimp_release(&ci);
}

static void no_bib_column(void)
{
	csvimp ci;
	/* a header that says number */
	ASSERT_EQ(parse(&ci, "Runner No,Name\n1,Ann\n", NULL), SL_EPARSE);
	ASSERT(has(&ci.errs, "p.csv:1: no bib column: add --map 'bib=Runner No' if 'Runner No' "
			     "holds the bib numbers (or reg=Header for registration codes)\n"));
	ASSERT_EQ(ci.nrows, 0);
	csvimp_release(&ci);
	/* else short numbers in every row (a phone number is not one) */
	ASSERT_EQ(parse(&ci, "Phone,Id,Name\n5551234567,17,Ann\n5557654321,18,Bo\n", "sex="),
		  SL_EPARSE);
	ASSERT(has(&ci.errs, "no bib column: add --map sex=,bib=Id if 'Id' holds the bib "
			     "numbers"));
	csvimp_release(&ci);
	/* a reg column is enough */
	ASSERT_EQ(parse(&ci, "Confirmation Code,Name\nR-1,Ann\n", NULL), 0);
	ASSERT_STREQ(get(&ci, 0, "reg"), "R-1");
	csvimp_release(&ci);
	/* both missing: both said, the header line named */
	ASSERT_EQ(parse(&ci, "\nShirt,Notes\nM,x\n", NULL), SL_EPARSE);
	ASSERT(has(&ci.errs, "p.csv:2: no bib column"));
	ASSERT(has(&ci.errs, "p.csv:2: no name column"));
	ASSERT_EQ(ci.header_line, 2);
	csvimp_release(&ci);
}

/* ---- values ---- */

static void dates_of_birth(void)
{
	csvimp ci;
	csvimp_opts o = {0};
	/* month first, shown by one date */
	ASSERT_EQ(parse(&ci, "Bib,Name,DOB\n1,A,05/03/1990\n2,B,12/31/1985\n3,C,1/2/2001\n", NULL),
		  0);
	ASSERT_EQ(ci.date_order, CSVIMP_DATE_MDY);
	ASSERT_STREQ(get(&ci, 0, "birth"), "1990-05-03");
	ASSERT_STREQ(get(&ci, 1, "birth"), "1985-12-31");
	ASSERT_STREQ(get(&ci, 2, "birth"), "2001-01-02");
	csvimp_release(&ci);
	/* every date reads both ways: refused, asking for the order */
	const char *amb = "Bib,Name,DOB\n1,A,05/03/1990\n2,B,07/07/1985\n3,C,1990-01-02\n";
	ASSERT_EQ(parse(&ci, amb, NULL), SL_EPARSE);
	ASSERT(has(&ci.errs, "p.csv:2: field 'birth': '05/03/1990' reads as day/month and as "
			     "month/day, and so does every such date in the file: say which with "
			     "--date-format DD/MM/YYYY or MM/DD/YYYY\n"));
	ASSERT_EQ(ci.nerrors, 1);
	ASSERT_EQ(ci.nrows, 0);
	csvimp_release(&ci);
	o.date_order = CSVIMP_DATE_DMY;
	ASSERT_EQ(csvimp_parse_mem(&ci, "p.csv", amb, strlen(amb), &o), 0);
	ASSERT_STREQ(get(&ci, 0, "birth"), "1990-03-05");
	ASSERT_STREQ(get(&ci, 1, "birth"), "1985-07-07");
	ASSERT_STREQ(get(&ci, 2, "birth"), "1990-01-02");
	csvimp_release(&ci);
	/* both orders in one file */
	const char *mixed = "Bib,Name,DOB\n1,A,13/03/1990\n2,B,03/13/1990\n";
	ASSERT_EQ(parse(&ci, mixed, NULL), SL_EPARSE);
	ASSERT(has(&ci.errs, "p.csv:2: field 'birth': '13/03/1990' is day first, but "
			     "'03/13/1990' on line 3 is month first"));
	csvimp_release(&ci);
	o.date_order = CSVIMP_DATE_MDY;
	ASSERT_EQ(csvimp_parse_mem(&ci, "p.csv", mixed, strlen(mixed), &o), SL_EPARSE);
	ASSERT(has(&ci.errs, "p.csv:2: field 'birth': '13/03/1990' is not a date in MM/DD/YYYY "
			     "(the file's order; see --date-format)\n"));
	ASSERT_EQ(ci.nrows, 1);
	csvimp_release(&ci);
	/* other shapes */
	ASSERT_EQ(parse(&ci, "Bib,Name,Birth\n1,A,1990/5/3\n2,B,3.5.1990\n3,C,05-05-1990\n", NULL),
		  0);
	ASSERT_STREQ(get(&ci, 0, "birth"), "1990-05-03");
	ASSERT_STREQ(get(&ci, 1, "birth"), "1990-05-03");
	ASSERT_STREQ(get(&ci, 2, "birth"), "1990-05-05");
	csvimp_release(&ci);
	ASSERT_EQ(parse(&ci,
			"Bib,Name,Birth\n1,A,5/3/90\n2,B,1990-13-01\n3,C,31.02.1990\n"
			"4,D,May 3 1990\n",
			NULL),
		  SL_EPARSE);
	ASSERT(has(&ci.errs, "p.csv:2: field 'birth': '5/3/90' has a two-digit year"));
	ASSERT(has(&ci.errs, "p.csv:3: field 'birth': '1990-13-01' is not a date (YYYY-MM-DD, "
			     "DD.MM.YYYY, DD/MM/YYYY or MM/DD/YYYY)\n"));
	ASSERT(has(&ci.errs, "p.csv:4: field 'birth': '31.02.1990' is not a date"));
	ASSERT(has(&ci.errs, "p.csv:5: field 'birth': 'May 3 1990' is not a date"));
	csvimp_release(&ci);

	ASSERT_EQ(csvimp_date_order_parse("dd/mm/yyyy"), CSVIMP_DATE_DMY);
	ASSERT_EQ(csvimp_date_order_parse("MDY"), CSVIMP_DATE_MDY);
	ASSERT_EQ(csvimp_date_order_parse("ymd"), SL_EINVAL);
}

/* Sex spellings give M, F or X, what the server takes; others are row errors. */
static void sex_values(void)
{
	static const struct {
		const char *in, *out;
	} sexes[] = {{"Boy", "M"},
		     {"MENS", "M"},
		     {"m\xc3\xa4nnlich", "M"},
		     {"girl", "F"},
		     {"Ladies", "F"},
		     {"weiblich", "F"},
		     {"divers", "X"},
		     {"Prefer not to say", "X"},
		     {"D", NULL},
		     {"U", NULL},
		     {"1", NULL}};
	for (size_t i = 0; i < sizeof(sexes) / sizeof(sexes[0]); i++) {
		const char *got = csvimp_norm_sex(sexes[i].in);
		if (sexes[i].out)
			ASSERT_STREQ(got, sexes[i].out);
		else
			ASSERT(got == NULL);
	}
	csvimp ci;
	ASSERT_EQ(parse(&ci, "Bib, Name, Gender\n1, Ann, Woman\n2, Bo, 1\n", NULL), SL_EPARSE);
	ASSERT(has(&ci.errs, "p.csv:3: field 'sex': '1' is not M, F or X\n"));
	ASSERT_EQ(ci.nrows, 1);
	ASSERT_STREQ(get(&ci, 0, "sex"), "F");
	csvimp_release(&ci);
}

/* splitline-scan labels --race reads the server's results exports. */
static void server_exports_read(void)
{
	csvimp ci;
	ASSERT_EQ(parse(&ci,
			"place,bib,name,sex,age,club,race,wave,status,start_time,net,gun,pace,"
			"place_sex,categories,place_categories,start,5k,finish\n"
			"1,3,Umar Mensah,M,25,,marathon,1,finished,2015-04-20T14:00:00Z,2:09:17,"
			"2:09:17,4:56,1,M18-39,1,,0:14:43,2:09:17\n",
			NULL),
		  0);
	ASSERT_STREQ(get(&ci, 0, "name"), "Umar Mensah");
	ASSERT_STREQ(get(&ci, 0, "race"), "marathon");
	csvimp_release(&ci);
	ASSERT_EQ(parse(&ci,
			"place,lane,bib,crew,club,race,status,start_time,raw,penalty\n"
			"1,3,16A-2,Saline A,SaliA,16A,finished,,6:42.696,\n",
			NULL),
		  0);
	ASSERT_STREQ(get(&ci, 0, "bib"), "16A-2");
	ASSERT_STREQ(get(&ci, 0, "name"), "Saline A");
	csvimp_release(&ci);
}

/* "field=" is a column for no field; a custom field needs a column. */
static void map_without_column(void)
{
	char err[256];
	ASSERT_EQ(csvimp_check_map("race=,name=", err, sizeof(err)), 0);
	ASSERT_EQ(csvimp_check_map("fields.team=", err, sizeof(err)), SL_EINVAL);
	ASSERT(strstr(err, "bad --map item 'fields.team=': a custom field needs a column") != NULL);
	ASSERT_EQ(csvimp_check_map("=Bib", err, sizeof(err)), SL_EINVAL);
}

#define TESTS(X)                                                               \
	X(issue_header_is_read)                                                \
	X(issue_exact_header_refused)                                          \
	X(header_spellings)                                                    \
	X(spelling_tiers_and_ambiguity)                                        \
	X(name_halves)                                                         \
	X(unknown_columns_listed)                                              \
	X(no_name_column)                                                      \
	X(no_bib_column)                                                       \
	X(dates_of_birth)                                                      \
	X(sex_values)                                                          \
	X(server_exports_read)                                                 \
	X(map_without_column)

T_MAIN()
