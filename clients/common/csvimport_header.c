/*
 * csvimport_header.c: which column feeds which field (see csvimport_int.h).
 *
 * --map first, then the header spellings (the table below, by tier); pass
 * 1 also looks at the values for what a header cannot say (day or month
 * first, whether a column holds values, which column may hold the bibs),
 * and csvimp__finish_header() fixes the verdict: the columns to read, or
 * the file refused with the --map that would fix it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvimport_int.h"
#include "ftext.h"

/* ---- the --map option ---- */

void csvimp__map_release(csvimp__map *m)
{
	for (int i = 0; i < F_COUNT; i++)
		free(m->header[i]);
	for (size_t i = 0; i < m->ncustom; i++) {
		free(m->ckey[i]);
		free(m->cheader[i]);
	}
	memset(m, 0, sizeof(*m));
}

int csvimp__map_parse(csvimp__map *m, const char *text, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (!text)
		return 0;
	const char *p = text;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *item = sl_strndup(p, n);
		p += n + (end ? 1 : 0);
		char *eq = strchr(item, '=');
		if (!eq || eq == item) {
			snprintf(err, errlen, "bad --map item '%s': expected field=Header", item);
			free(item);
			csvimp__map_release(m);
			return SL_EINVAL;
		}
		*eq = '\0';
		const char *field = item, *hdr = eq + 1;
		int f = -1;
		for (int i = 0; i < F_COUNT; i++)
			if (strcmp(field, csvimp__field_names[i]) == 0)
				f = i;
		if (f >= 0) {
			free(m->header[f]);
			m->header[f] = *hdr ? sl_strdup(hdr) : NULL;
			m->none[f] = !*hdr;
		} else if (strncmp(field, "fields.", 7) == 0 && field[7] && !*hdr) {
			snprintf(err, errlen, "bad --map item '%s=': a custom field needs a column",
				 field);
			free(item);
			csvimp__map_release(m);
			return SL_EINVAL;
		} else if (strncmp(field, "fields.", 7) == 0 && field[7] &&
			   m->ncustom < MAX_CUSTOM) {
			m->ckey[m->ncustom] = sl_strdup(field + 7);
			m->cheader[m->ncustom++] = sl_strdup(hdr);
		} else {
			snprintf(err, errlen,
				 "unknown field '%s' in --map (fields: bib reg name first last "
				 "sex age birth club wave race chip chip2 fields.<name>)",
				 field);
			free(item);
			csvimp__map_release(m);
			return SL_EINVAL;
		}
		free(item);
	}
	return 0;
}

int csvimp_check_map(const char *map, char *err, size_t errlen)
{
	csvimp__map m;
	int rc = csvimp__map_parse(&m, map, err, errlen);
	csvimp__map_release(&m);
	return rc;
}

static const char *const order_name[] = {"", "DD/MM/YYYY", "MM/DD/YYYY"};

/* ---- header spellings ---- */

/*
 * A header is compared by its key: ASCII letters in lower case and digits,
 * every other ASCII character dropped (spaces, _ - . # / and brackets),
 * other bytes kept: "Date of Birth", "date_of_birth" and "DOB" give
 * "dateofbirth" and "dob"; "Bib #" and "Bib No." give "bib" and "bibno".
 *
 * Tier 0 is the field's own name; tier 1 a spelling that means the field
 * wherever it is found; tier 2 a word that usually means it but may be
 * something else.  A field takes the column of its best tier; two columns
 * of that tier are refused (Boston's "M/F" and "Gender", the latter a place
 * by sex), so a weaker column beside a stronger one ("Team" beside "Club")
 * is left out and listed as not imported rather than guessed at.  --map
 * always wins, and "field=" turns a guess off.
 *
 * Why the tier-2 words are weak:
 * - number, no, nr, num: the bib in most small races' files, but "No." is
 *   also a row counter.
 * - team, team name, organisation: the club in Webscorer's and most sign-up
 *   exports, but a relay or company team in others.
 * - crew: the entry's name in rowing and paddling (the server's regatta
 *   export, which splitline-scan labels reads), but beside an athlete's
 *   name it is the boat.
 * - event, distance, course, contest, race name: the race in multi-race
 *   sign-up exports (RunSignup's "Event", Webscorer's "Distance"), but the
 *   event's own name in others.  The values must be the event's race ids,
 *   so a wrong guess is refused by the server (FILE:LINE: race: no race
 *   'X'), and --map race= turns it off.
 * Left out on purpose: "id" (a database id as often as a bib), "order id"
 * (one order pays for a family, not one athlete), category, division and
 * age group (the server computes categories from sex and age), year of
 * birth and "Jahrgang" (birth is a date), and anything with a time in it.
 * German spellings are in (Startnummer, Vorname, Geschlecht, ...): race
 * files from German-speaking timers are common and the words are not
 * ambiguous; other languages are a --map away.
 */
/* clang-format off */
static const struct spelling {
	const char *key;
	signed char field, tier;
} spellings[] = {
	{"bibnumber", F_BIB, 1}, {"bibno", F_BIB, 1}, {"bibnr", F_BIB, 1},
	{"bibnum", F_BIB, 1}, {"racenumber", F_BIB, 1}, {"raceno", F_BIB, 1},
	{"racenr", F_BIB, 1}, {"startnumber", F_BIB, 1}, {"startno", F_BIB, 1},
	{"startnr", F_BIB, 1}, {"startnummer", F_BIB, 1}, {"dossard", F_BIB, 1},
	{"number", F_BIB, 2}, {"no", F_BIB, 2}, {"nr", F_BIB, 2}, {"num", F_BIB, 2},
	{"nummer", F_BIB, 2},

	{"registration", F_REG, 1}, {"registrationcode", F_REG, 1},
	{"registrationid", F_REG, 1}, {"registrationnumber", F_REG, 1},
	{"registrationno", F_REG, 1}, {"regcode", F_REG, 1}, {"regid", F_REG, 1},
	{"regno", F_REG, 1}, {"regnumber", F_REG, 1}, {"confirmation", F_REG, 1},
	{"confirmationcode", F_REG, 1}, {"confirmationnumber", F_REG, 1},
	{"confirmationno", F_REG, 1}, {"confirmationid", F_REG, 1}, {"entryid", F_REG, 1},

	{"fullname", F_NAME, 1}, {"athlete", F_NAME, 1}, {"athletename", F_NAME, 1},
	{"participant", F_NAME, 1}, {"participantname", F_NAME, 1}, {"runner", F_NAME, 1},
	{"runnername", F_NAME, 1}, {"competitor", F_NAME, 1}, {"competitorname", F_NAME, 1},
	{"crew", F_NAME, 2},

	{"firstname", F_FIRST, 1}, {"givenname", F_FIRST, 1}, {"givennames", F_FIRST, 1},
	{"forename", F_FIRST, 1}, {"fname", F_FIRST, 1}, {"vorname", F_FIRST, 1},

	{"lastname", F_LAST, 1}, {"surname", F_LAST, 1}, {"familyname", F_LAST, 1},
	{"lname", F_LAST, 1}, {"nachname", F_LAST, 1}, {"familienname", F_LAST, 1},

	{"gender", F_SEX, 1}, {"mf", F_SEX, 1}, {"sexmf", F_SEX, 1}, {"gendermf", F_SEX, 1},
	{"geschlecht", F_SEX, 1},

	{"ageonraceday", F_AGE, 1}, {"raceage", F_AGE, 1}, {"alter", F_AGE, 1},

	{"dateofbirth", F_BIRTH, 1}, {"dob", F_BIRTH, 1}, {"birthdate", F_BIRTH, 1},
	{"birthday", F_BIRTH, 1}, {"born", F_BIRTH, 1}, {"geburtsdatum", F_BIRTH, 1},

	{"clubname", F_CLUB, 1}, {"affiliation", F_CLUB, 1}, {"verein", F_CLUB, 1},
	{"team", F_CLUB, 2}, {"teamname", F_CLUB, 2}, {"organisation", F_CLUB, 2},
	{"organization", F_CLUB, 2},

	{"waveid", F_WAVE, 1}, {"wavename", F_WAVE, 1}, {"startwave", F_WAVE, 1},
	{"startgroup", F_WAVE, 1}, {"corral", F_WAVE, 1}, {"startcorral", F_WAVE, 1},

	{"raceid", F_RACE, 1}, {"racename", F_RACE, 2}, {"event", F_RACE, 2},
	{"distance", F_RACE, 2}, {"course", F_RACE, 2}, {"contest", F_RACE, 2},

	{"chip1", F_CHIP, 1}, {"chipid", F_CHIP, 1}, {"chipnumber", F_CHIP, 1},
	{"chipno", F_CHIP, 1}, {"chipcode", F_CHIP, 1}, {"tag", F_CHIP, 1},
	{"tagid", F_CHIP, 1}, {"tag1", F_CHIP, 1}, {"transponder", F_CHIP, 1},
	{"transponderid", F_CHIP, 1}, {"rfid", F_CHIP, 1}, {"epc", F_CHIP, 1},

	{"chipid2", F_CHIP2, 1}, {"secondchip", F_CHIP2, 1}, {"tag2", F_CHIP2, 1},
	{"transponder2", F_CHIP2, 1},
};
/* clang-format on */

#define KEY_MAX 96

static void norm_key(const char *s, char *out)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && n + 1 < KEY_MAX; p++)
		if (isalnum(*p) || *p >= 0x80)
			out[n++] = (char)tolower(*p);
	out[n] = '\0';
}

/* The field a header spells and how well (tier), or -1. */
static int spelled_field(const char *header, int *tier)
{
	char key[KEY_MAX];
	norm_key(header, key);
	for (int i = 0; i < F_COUNT; i++)
		if (strcmp(key, csvimp__field_names[i]) == 0) {
			*tier = 0;
			return i;
		}
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
		if (strcmp(key, spellings[i].key) == 0) {
			*tier = spellings[i].tier;
			return spellings[i].field;
		}
	return -1;
}

/* The column of a --map header: as written, else any case, else the same key. */
static int find_col(csvimp__st *s, const char *hdr)
{
	char want[KEY_MAX], key[KEY_MAX];
	for (size_t i = 0; i < s->nhdr; i++)
		if (strcmp(s->hdr[i], hdr) == 0)
			return (int)i;
	for (size_t i = 0; i < s->nhdr; i++)
		if (strcasecmp(s->hdr[i], hdr) == 0)
			return (int)i;
	norm_key(hdr, want);
	for (size_t i = 0; *want && i < s->nhdr; i++) {
		norm_key(s->hdr[i], key);
		if (strcmp(key, want) == 0)
			return (int)i;
	}
	return -1;
}

/* A value quoted for a shell when it needs it. */
static void shell_word(sl_buf *b, const char *v)
{
	if (*v && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "_./,=:+@%-") == strlen(v)) {
		sl_buf_adds(b, v);
		return;
	}
	sl_buf_addc(b, '\'');
	for (; *v; v++) {
		if (*v == '\'')
			sl_buf_adds(b, "'\\''");
		else
			sl_buf_addc(b, *v);
	}
	sl_buf_addc(b, '\'');
}

/* "--map X" where X is the user's --map and then items. */
static void map_line(csvimp__st *s, sl_buf *b, const char *items)
{
	sl_buf v = SL_BUF_INIT;
	if (s->o->map && *s->o->map)
		sl_buf_addf(&v, "%s,", s->o->map);
	sl_buf_adds(&v, items);
	sl_buf_adds(b, "--map ");
	shell_word(b, v.data);
	sl_buf_release(&v);
}

/* "'Bib'", or "column 3" for a column without a header. */
void csvimp__col_label(sl_buf *b, const char *header, size_t i)
{
	if (*header)
		sl_buf_addf(b, "'%s'", header);
	else
		sl_buf_addf(b, "column %zu", i + 1);
}

void csvimp__take_header(csvimp__st *s, int line)
{
	s->hdr = s->f;
	s->nhdr = s->nf;
	s->f = NULL;
	s->nf = s->capf = 0;
	s->hdr_line = line;
	s->ci->header_line = line;
	for (size_t i = 0; i < s->nhdr; i++) {
		char *t = ftext_trim(s->hdr[i]);
		if (i == 0 && strncmp(t, "\xef\xbb\xbf", 3) == 0)
			t += 3;
		memmove(s->hdr[i], t, strlen(t) + 1);
	}
	size_t nh = s->nhdr ? s->nhdr : 1;
	s->kfield = sl_calloc(nh, 1);
	s->ktier = sl_calloc(nh, 1);
	s->claimed = sl_calloc(nh, sizeof(bool));
	s->stat = sl_calloc(nh, sizeof(*s->stat));
	for (size_t j = 0; j < s->nhdr; j++) {
		int tier = 0;
		s->kfield[j] = (signed char)spelled_field(s->hdr[j], &tier);
		s->ktier[j] = (signed char)tier;
		s->stat[j].digits = true;
	}
	/* --map first: its columns are taken */
	for (int i = 0; i < F_COUNT; i++) {
		s->col[i] = -1;
		s->how[i] = HOW_NONE;
		if (!s->map.header[i])
			continue;
		s->col[i] = find_col(s, s->map.header[i]);
		if (s->col[i] < 0) {
			csvimp__rowerr(s, line, "no column '%s' (mapped to field '%s')",
				       s->map.header[i], csvimp__field_names[i]);
			s->header_bad = true;
		} else {
			s->claimed[s->col[i]] = true;
			s->how[i] = HOW_MAP;
		}
	}
	for (size_t i = 0; i < s->map.ncustom; i++) {
		s->ccol[i] = find_col(s, s->map.cheader[i]);
		if (s->ccol[i] < 0) {
			csvimp__rowerr(s, line, "no column '%s' (mapped to field 'fields.%s')",
				       s->map.cheader[i], s->map.ckey[i]);
			s->header_bad = true;
		} else {
			s->claimed[s->ccol[i]] = true;
		}
	}
	/* then the spellings: the best tier, refused when two columns share it */
	for (int i = 0; i < F_COUNT; i++) {
		if (s->map.header[i] || s->map.none[i])
			continue;
		int best = -1, other = -1, tier = 3;
		for (size_t j = 0; j < s->nhdr; j++) {
			if (s->claimed[j] || s->kfield[j] != i)
				continue;
			if (s->ktier[j] < tier)
				best = (int)j, tier = s->ktier[j], other = -1;
			else if (s->ktier[j] == tier && other < 0)
				other = (int)j;
		}
		if (other >= 0) {
			sl_buf b = SL_BUF_INIT, item = SL_BUF_INIT;
			csvimp__col_label(&b, s->hdr[best], (size_t)best);
			sl_buf_adds(&b, " and ");
			csvimp__col_label(&b, s->hdr[other], (size_t)other);
			if (strcmp(s->hdr[best], s->hdr[other]) == 0)
				sl_buf_addf(&b, " (columns %d and %d)", best + 1, other + 1);
			sl_buf_addf(&b, " both look like field '%s': pick one with ",
				    csvimp__field_names[i]);
			sl_buf_addf(&item, "%s=%s", csvimp__field_names[i], s->hdr[best]);
			map_line(s, &b, item.data);
			csvimp__rowerr(s, line, "columns %s", b.data);
			sl_buf_release(&b);
			sl_buf_release(&item);
			s->header_bad = true;
		} else if (best >= 0) {
			s->col[i] = best;
			s->how[i] = HOW_SPELLING;
		}
	}
	/*
	 * "Vorname, Name" and "Name, Surname": a column headed just "Name"
	 * beside only a first or only a last name holds the other half.  A
	 * "Full Name" beside a "First Name" stays the name.
	 */
	s->moved = -1;
	if (s->how[F_NAME] == HOW_SPELLING && s->ktier[s->col[F_NAME]] == 0 &&
	    (s->col[F_FIRST] >= 0) != (s->col[F_LAST] >= 0)) {
		int half = s->col[F_FIRST] >= 0 ? F_LAST : F_FIRST;
		if (!s->map.none[half] && !s->map.header[half]) {
			s->col[half] = s->col[F_NAME];
			s->how[half] = HOW_SPELLING;
			s->col[F_NAME] = -1;
			s->how[F_NAME] = HOW_NONE;
			s->moved = half;
		}
	}
	s->have_header = true;
}

/* Pass 1: what a record says about its columns and dates. */
void csvimp__scan_row(csvimp__st *s, int line)
{
	s->nrecords++;
	for (size_t j = 0; j < s->nf && j < s->nhdr; j++) {
		const char *v = ftext_trim(s->f[j]);
		size_t n = strlen(v);
		if (!n)
			continue;
		struct colstat *cs = &s->stat[j];
		cs->filled++;
		if (n > cs->maxlen)
			cs->maxlen = n;
		if (strspn(v, "0123456789") != n)
			cs->digits = false;
	}
	int c = s->col[F_BIRTH];
	if (c < 0 || (size_t)c >= s->nf)
		return;
	int a, b, y;
	const char *v = ftext_trim(s->f[c]);
	if (csvimp__date_split(v, &a, &b, &y) != DS_SLASH || a == b)
		return;
	bool dmy = csvimp__ymd_ok(y, b, a), mdy = csvimp__ymd_ok(y, a, b);
	int *at = dmy && mdy ? &s->amb_line : dmy ? &s->dmy_line : mdy ? &s->mdy_line : NULL;
	char *ex = dmy && mdy ? s->amb_ex : dmy ? s->dmy_ex : s->mdy_ex;
	if (at && !*at) {
		*at = line;
		snprintf(ex, sizeof(s->amb_ex), "%s", v);
	}
}

/* Is column j read for any field? */
static bool col_used(const csvimp__st *s, size_t j)
{
	for (int i = 0; i < F_COUNT; i++)
		if (s->col[i] == (int)j)
			return true;
	for (size_t i = 0; i < s->map.ncustom; i++)
		if (s->ccol[i] == (int)j)
			return true;
	return false;
}

static bool key_has(const char *key, const char *const *words, bool suffix_only)
{
	size_t n = strlen(key);
	for (int i = 0; words[i]; i++) {
		size_t m = strlen(words[i]);
		if (suffix_only ? n >= m && strcmp(key + n - m, words[i]) == 0
				: strstr(key, words[i]) != NULL)
			return true;
	}
	return false;
}

/* An unread column whose header or values look like words (a header with a
 * comma cannot be named in --map: never suggested). */
static int guess_col(const csvimp__st *s, const char *const *inside, const char *const *ends)
{
	char key[KEY_MAX];
	for (size_t j = 0; j < s->nhdr; j++) {
		if (col_used(s, j) || !*s->hdr[j] || strchr(s->hdr[j], ',') || !s->stat[j].filled)
			continue;
		norm_key(s->hdr[j], key);
		if (key_has(key, inside, false) || (ends && key_has(key, ends, true)))
			return (int)j;
	}
	return -1;
}

/* An unread column that may hold bibs: its header says number, or failing
 * that its values are short numbers in every row. */
static int guess_bib(const csvimp__st *s)
{
	static const char *const inside[] = {"bib", "startn", "dossard", "number", "nummer", NULL};
	static const char *const ends[] = {"no", "nr", "num", NULL};
	char key[KEY_MAX];
	for (size_t j = 0; j < s->nhdr; j++) {
		if (col_used(s, j) || !*s->hdr[j] || strchr(s->hdr[j], ',') || !s->stat[j].filled ||
		    s->stat[j].maxlen > 7)
			continue;
		norm_key(s->hdr[j], key);
		if (key_has(key, inside, false) || key_has(key, ends, true))
			return (int)j;
	}
	for (size_t j = 0; j < s->nhdr; j++)
		if (!col_used(s, j) && *s->hdr[j] && !strchr(s->hdr[j], ',') &&
		    s->stat[j].filled == s->nrecords && s->nrecords && s->stat[j].digits &&
		    s->stat[j].maxlen <= 6)
			return (int)j;
	return -1;
}

/* ", the columns are 'A', 'B', ..." (the first ten). */
static void list_cols(const csvimp__st *s, sl_buf *b)
{
	sl_buf_adds(b, "; the columns are ");
	for (size_t j = 0; j < s->nhdr && j < 10; j++) {
		if (j)
			sl_buf_adds(b, ", ");
		csvimp__col_label(b, s->hdr[j], j);
	}
	if (s->nhdr > 10)
		sl_buf_addf(b, " and %zu more", s->nhdr - 10);
}

static void no_bib(csvimp__st *s)
{
	sl_buf b = SL_BUF_INIT, item = SL_BUF_INIT;
	int c = guess_bib(s);
	if (c >= 0) {
		sl_buf_addf(&item, "bib=%s", s->hdr[c]);
		sl_buf_adds(&b, "no bib column: add ");
		map_line(s, &b, item.data);
		sl_buf_addf(&b,
			    " if '%s' holds the bib numbers (or reg=Header for registration "
			    "codes)",
			    s->hdr[c]);
	} else {
		sl_buf_adds(&b,
			    "no bib column: name the one with the bib numbers with "
			    "--map bib=Header (or the registration codes with --map reg=Header)");
		list_cols(s, &b);
	}
	csvimp__rowerr(s, s->hdr_line, "%s", b.data);
	sl_buf_release(&b);
	sl_buf_release(&item);
}

static void no_name(csvimp__st *s)
{
	static const char *const name_w[] = {"name",        "athlete",    "runner",
					     "participant", "competitor", NULL};
	static const char *const first_w[] = {"first", "given", "vor", NULL};
	static const char *const last_w[] = {"last", "family", "surname", "nach", NULL};
	sl_buf b = SL_BUF_INIT, item = SL_BUF_INIT;
	int first = guess_col(s, first_w, NULL), last = guess_col(s, last_w, NULL);
	int name = guess_col(s, name_w, NULL);
	if (first >= 0 && last >= 0 && first != last)
		sl_buf_addf(&item, "first=%s,last=%s", s->hdr[first], s->hdr[last]);
	else if (name >= 0)
		sl_buf_addf(&item, "name=%s", s->hdr[name]);
	sl_buf_adds(&b, "no name column: ");
	if (item.len) {
		sl_buf_adds(&b, "add ");
		map_line(s, &b, item.data);
		sl_buf_adds(&b, " if that is where the names are, or ");
	} else {
		sl_buf_adds(&b,
			    "name it with --map name=Header (or first=Header,last=Header), or ");
	}
	map_line(s, &b, "name=");
	sl_buf_adds(&b, " to import athletes without names");
	bool chips_only = true;
	for (int i = 0; i < F_COUNT; i++)
		if (s->col[i] >= 0 && i != F_BIB && i != F_CHIP && i != F_CHIP2)
			chips_only = false;
	if (chips_only && s->col[F_CHIP] >= 0)
		sl_buf_adds(&b, " (a chip file of bibs and chips is imported with --blank)");
	else if (!item.len)
		list_cols(s, &b);
	csvimp__rowerr(s, s->hdr_line, "%s", b.data);
	sl_buf_release(&b);
	sl_buf_release(&item);
}

/* The verdict on the header, once pass 1 has seen the values. */
void csvimp__finish_header(csvimp__st *s)
{
	csvimp *ci = s->ci;
	if (!s->have_header)
		return;
	bool bib = s->col[F_BIB] >= 0 || s->col[F_REG] >= 0 || s->map.header[F_BIB] ||
		   s->map.header[F_REG];
	if (!bib) {
		no_bib(s);
		s->header_bad = true;
	}
	bool name = s->col[F_NAME] >= 0 || s->col[F_FIRST] >= 0 || s->col[F_LAST] >= 0 ||
		    s->map.header[F_NAME] || s->map.header[F_FIRST] || s->map.header[F_LAST];
	if (!name && !s->o->blank && !s->map.none[F_NAME]) {
		no_name(s);
		s->header_bad = true;
	}
	/* dates like 05/03/1990: the order given, else the one the file shows */
	ci->date_order = s->o->date_order;
	if (s->col[F_BIRTH] >= 0 && ci->date_order == CSVIMP_DATE_AUTO) {
		if (s->dmy_line && s->mdy_line) {
			csvimp__rowerr(
				s, s->dmy_line,
				"field 'birth': '%s' is day first, but '%s' on line %d is month "
				"first: correct one, or say the order with --date-format "
				"DD/MM/YYYY or MM/DD/YYYY",
				s->dmy_ex, s->mdy_ex, s->mdy_line);
			s->header_bad = true;
		} else if (s->dmy_line) {
			ci->date_order = CSVIMP_DATE_DMY;
		} else if (s->mdy_line) {
			ci->date_order = CSVIMP_DATE_MDY;
		} else if (s->amb_line) {
			csvimp__rowerr(
				s, s->amb_line,
				"field 'birth': '%s' reads as day/month and as month/day, and so "
				"does every such date in the file: say which with --date-format "
				"DD/MM/YYYY or MM/DD/YYYY",
				s->amb_ex);
			s->header_bad = true;
		}
	}
	/* what became of each column */
	ci->ncols = s->nhdr;
	ci->cols = sl_calloc(s->nhdr ? s->nhdr : 1, sizeof(*ci->cols));
	for (size_t j = 0; j < s->nhdr; j++) {
		csvimp_col *c = &ci->cols[j];
		sl_buf feeds = SL_BUF_INIT, note = SL_BUF_INIT;
		c->header = sl_strdup(s->hdr[j]);
		c->values = s->stat[j].filled > 0;
		bool mapped = false;
		for (int i = 0; i < F_COUNT; i++) {
			if (s->col[i] != (int)j)
				continue;
			sl_buf_addf(&feeds, "%s%s", feeds.len ? " " : "", csvimp__field_names[i]);
			mapped |= s->how[i] == HOW_MAP;
			if (i == s->moved)
				sl_buf_addf(&note, "%s",
					    i == F_LAST ? "the last name, beside a first-name "
							  "column"
							: "the first name, beside a "
							  "last-name column");
			if (i == F_BIRTH && ci->date_order != CSVIMP_DATE_AUTO)
				sl_buf_addf(&note, "%sdates like 05/03/1990 read as %s%s",
					    note.len ? "; " : "", order_name[ci->date_order],
					    s->o->date_order ? " (--date-format)" : "");
			if (i == F_BIRTH && ci->date_order != CSVIMP_DATE_AUTO && !s->o->date_order)
				sl_buf_addf(&note, ", as line %d shows",
					    ci->date_order == CSVIMP_DATE_DMY ? s->dmy_line
									      : s->mdy_line);
		}
		for (size_t i = 0; i < s->map.ncustom; i++)
			if (s->ccol[i] == (int)j) {
				sl_buf_addf(&feeds, "%sfields.%s", feeds.len ? " " : "",
					    s->map.ckey[i]);
				mapped = true;
			}
		if (mapped)
			sl_buf_addf(&note, "%s--map", note.len ? "; " : "");
		int k = s->kfield[j];
		if (!feeds.len && k >= 0 && s->map.none[k])
			sl_buf_addf(&note, "--map %s= reads %s from no column",
				    csvimp__field_names[k], csvimp__field_names[k]);
		else if (!feeds.len && k >= 0 && s->col[k] >= 0)
			sl_buf_addf(&note, "%s is read from '%s'", csvimp__field_names[k],
				    s->hdr[s->col[k]]);
		else if (!feeds.len && k >= 0)
			for (size_t o = 0; o < s->nhdr; o++)
				if (o != j && s->kfield[o] == k && s->ktier[o] == s->ktier[j] &&
				    !note.len) {
					sl_buf_addf(&note, "looks like %s, as does ",
						    csvimp__field_names[k]);
					csvimp__col_label(&note, s->hdr[o], o);
				}
		c->feeds = feeds.len ? sl_buf_detach(&feeds, NULL) : NULL;
		c->note = note.len ? sl_buf_detach(&note, NULL) : NULL;
		sl_buf_release(&feeds);
		sl_buf_release(&note);
	}
}

/* The trimmed value of a column of the current record ("" when short). */
