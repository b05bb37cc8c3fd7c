/*
 * modes.c: one input line of splitline-scan, by mode (checkin and
 * checkpoint: a scan; finish-tap: taps, skips, undos and bibs; pickup: a
 * code, then the bib from the stack and/or its chip); main.c has the
 * rules.  What a line does is written to the files and said through
 * scan__say; scan__on_lines commits the turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scan.h"

/* Trim blanks in place; NULL when a control character is left inside. */
static char *clean(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	return s;
}

/* sl:<event>:<id> -> id (NULL for another event's code); else s itself. */
static const char *strip_code(const char *s)
{
	size_t en = strlen(S.conn.event);
	if (strncmp(s, "sl:", 3) != 0)
		return s;
	if (strncmp(s + 3, S.conn.event, en) != 0 || s[3 + en] != ':' || !s[4 + en])
		return NULL;
	return s + 4 + en;
}

static bool bib_attached(const char *bib, uint64_t *tap)
{
	for (size_t i = 0; i < S.n; i++)
		if (S.s[i].tap && !strcmp(S.s[i].code, bib)) {
			*tap = S.s[i].tap;
			return true;
		}
	return false;
}

static int on_finish_tap(const char *s, int64_t t)
{
	char when[32];
	if (!*s) {
		uint64_t n = S.next_tap++;
		if (scan__journal("tap\t%llu\t%lld\n", (unsigned long long)n, (long long)t) < 0)
			return -1;
		SL_GROW(S.taps, S.captaps, S.ntaps + 1);
		S.taps[S.ntaps++] = (struct tap){n, t};
		scan__hms(when, sizeof(when), t);
		scan__say("tap %llu at %s (waiting %zu)\n", (unsigned long long)n, when, S.ntaps);
		return 0;
	}
	bool skip = !strcmp(s, "-") || !strcasecmp(s, "skip"), undo = !strcasecmp(s, "undo");
	if ((skip || undo) && !S.ntaps) {
		scan__say("error: %s: no tap waiting\a\n", undo ? "undo" : "skip");
		return 0;
	}
	if (skip || undo) {
		struct tap *tp = undo ? &S.taps[S.ntaps - 1] : &S.taps[0];
		uint64_t n = tp->n;
		if (scan__journal("%s\t%llu\n", undo ? "undo" : "skip", (unsigned long long)n) < 0)
			return -1;
		scan__tap_remove(tp);
		scan__say("tap %llu %s (waiting %zu)\n", (unsigned long long)n,
		    undo ? "undone" : "skipped", S.ntaps);
		return 0;
	}
	const char *bib = strip_code(s);
	uint64_t other;
	if (!bib) {
		scan__say("error: '%s' is not a code of event '%s' (scan ignored)\a\n", s, S.conn.event);
	} else if (strlen(bib) > MAX_ID) {
		scan__say("error: bib '%.40s...' is longer than %d characters (scan ignored)\a\n", bib,
		    MAX_ID);
	} else if (!S.ntaps) {
		scan__say("error: bib %s: no tap waiting (scan ignored)\a\n", bib);
	} else if (bib_attached(bib, &other)) {
		scan__say("error: bib %s is already on tap %llu (scan ignored)\a\n", bib,
		    (unsigned long long)other);
	} else {
		struct tap tp = S.taps[0];
		struct scan *sc = scan__enqueue(bib, tp.t, NULL, NULL, tp.n);
		if (!sc)
			return -1;
		scan__tap_remove(&S.taps[0]);
		scan__hms(when, sizeof(when), tp.t);
		scan__say("tap %llu bib %s queued %llu (at %s, waiting %zu, pending %zu)\n",
		    (unsigned long long)tp.n, bib, (unsigned long long)sc->seq, when, S.ntaps,
		    scan__pending());
	}
	return 0;
}

/* The bib barcode handed out: an id of 1 to 64 letters, digits, _ . - + */
static bool bib_ok(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-+");
	return n >= 1 && n <= 64 && !s[n];
}

/*
 * Pickup: a code, then (--bib-from-stack) the bib handed out, then
 * (--pair-chip) its chip; the scan is queued once the last arrives.
 */
static int on_pickup(const char *s, int64_t t)
{
	const char *chip = NULL;
	if (!S.want_chip_for && (S.pair_chip || S.bib_from_stack)) {
		S.want_chip_for = sl_strdup(s);
		S.want_t = t;
		S.want_chip = !S.bib_from_stack;
		if (S.want_chip)
			scan__say("code %s: scan the chip of the bib handed out ('-' for none)\n", s);
		else
			scan__say("code %s: scan the bib handed out\n", s);
		return 0;
	}
	if (S.want_chip_for && !S.want_chip) { /* the bib from the stack */
		const char *b = strncmp(s, "sl:", 3) == 0 && strrchr(s, ':') ? strrchr(s, ':') + 1 : s;
		if (!bib_ok(b)) {
			scan__say("error: '%.40s' is not a bib: scan the bib handed out again\a\n", s);
			return 0;
		}
		S.want_bib = sl_strdup(b);
		if (S.pair_chip) {
			S.want_chip = true;
			scan__say("code %s bib %s: scan its chip ('-' for none)\n", S.want_chip_for, b);
			return 0;
		}
	} else if (S.want_chip_for) {
		if (strcmp(s, "-") != 0 && strcasecmp(s, "skip") != 0)
			chip = s;
		if (chip && strlen(chip) > MAX_ID) {
			scan__say("error: chip '%.40s...' is longer than %d characters; scan it again "
			    "('-' for none)\a\n", chip, MAX_ID);
			return 0;
		}
	}
	const char *code = S.want_chip_for ? S.want_chip_for : s;
	struct scan *sc = scan__enqueue(code, S.want_chip_for ? S.want_t : t, chip, S.want_bib, 0);
	free(S.want_chip_for);
	free(S.want_bib);
	S.want_chip_for = S.want_bib = NULL;
	if (!sc)
		return -1;
	scan__say("queued %llu %s%s%s%s%s (pending %zu)\n", (unsigned long long)sc->seq, sc->code,
	    sc->bib ? " bib " : "", sc->bib ? sc->bib : "", sc->chip ? " chip " : "",
	    sc->chip ? sc->chip : "", scan__pending());
	return 0;
}

/* Handle the lines taken this turn, then commit.  -1 when a file fails. */
int scan__on_lines(struct line *q, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *s = clean(q[i].text);
		if (q[i].toolong) {
			scan__say("error: bad scan (over %d characters)\a\n", MAX_LINE);
		} else if (!s) {
			scan__say("error: bad scan (control character)\a\n");
		} else if (S.mode == M_FINISH_TAP) {
			rc = on_finish_tap(s, q[i].t);
		} else if (!*s) {
			/* an empty line: nothing scanned */
		} else if (S.mode == M_PICKUP) {
			rc = on_pickup(s, q[i].t);
		} else {
			struct scan *sc = scan__enqueue(s, q[i].t, NULL, NULL, 0);
			if (!sc)
				rc = -1;
			else
				scan__say("queued %llu %s (pending %zu)\n", (unsigned long long)sc->seq,
				    sc->code, scan__pending());
		}
	}
	for (size_t i = 0; i < n; i++)
		free(q[i].text);
	free(q);
	if (rc == 0)
		rc = scan__commit();
	return rc;
}

