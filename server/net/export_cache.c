/*
 * export_cache.c: the HTTP exports, encoded off the loop once per change
 * and shared (export_cache.h says what and why).
 *
 * State: one entry per (race or the event, format), created on the first
 * request, never freed before the cache (the caller only asks for races the
 * core has, so entries are bounded by 6 x (races + 1)), and one per
 * certificate, at most XC_CERT_MAX of them (certs_trim).  An entry holds its
 * current body and gen, the core generation that body reflects, and the
 * requests waiting for a newer one.
 *
 * An encode (a job) belongs to a lane (lane_of: CSV and JSON, or the
 * printouts); each lane has its own job, gap and snapshot buffer.  On the
 * loop, the lane's entries with waiters are marked (busy), the
 * core is snapshotted and the job queued on libuv's thread pool.  The worker
 * touches only the job: the snapshot, its private core, the entries' race
 * names and formats (immutable) and the previous bodies (immutable; the job
 * holds a reference to each).  When a body's hash equals the previous one's,
 * the worker keeps the previous body (no gzip), so its ETag stays.  Back on
 * the loop (on_job_done) the new bodies replace the old, and every waiter
 * whose gen the job covers gets its body; the others wait for the next job.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "net/export_cache.h"
#include "print/print.h"

#define CT_JSON "application/json"
#define CT_CSV "text/csv; charset=utf-8"
#define CT_PDF "application/pdf"
#define CT_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

struct entry {
	char *race; /* NULL: the whole event */
	enum xc_format fmt;
	char *bib;              /* XC_CERT's, else NULL */
	struct xc_body *cur;    /* NULL before the first encode */
	uint64_t gen;           /* what cur reflects */
	uint64_t used;          /* x->uses at its last request (certificates) */
	bool busy;              /* in the job in flight */
	struct xc_wait waiters; /* list sentinel */
};

struct job {
	uv_work_t req;
	xcache *x;
	int lane;
	sl_buf snap;
	uint64_t gen;
	uint64_t snap_ns; /* core_snapshot_save's time, on the loop */
	size_t n;
	struct entry **ents;
	struct xc_body **prev; /* references, or NULL */
	struct xc_body **out;  /* NULL: prev is still right */
	int load_rc;           /* core_snapshot_load's */
	char err[256];         /* and its sentence */
};

/* CSV and JSON, or the printouts: each encodes on its own. */
enum { LANE_DATA, LANE_PRINT, NLANES };

struct lane {
	struct job *job;     /* the encode in flight, or NULL */
	uint64_t last_start; /* uv_now() when it started */
	uint64_t last_gen;   /* the core's records at that start */
	uint64_t gap;        /* from one start to the next, at least (ms) */
	bool started;
	sl_buf spare; /* the last job's snapshot buffer: no page faults for the next */
};

struct xcache {
	uv_loop_t *loop;
	core *core;
	struct entry **ents;
	size_t nents;
	struct lane lanes[NLANES];
	bool load_warned;
	uint64_t encodes;
	uint64_t uses;  /* requests so far: the age of an entry */
	size_t ncerts;  /* XC_CERT entries */
};

/* ---- bodies --------------------------------------------------------------- */

static struct xc_body *body_new(void)
{
	struct xc_body *b = sl_calloc(1, sizeof(*b));

	b->refs = 1;
	return b;
}

void xcache_unref(struct xc_body *b)
{
	if (!b || --b->refs > 0)
		return;
	sl_buf_release(&b->plain);
	sl_buf_release(&b->gz);
	free(b);
}

static struct xc_body *body_ref(struct xc_body *b)
{
	b->refs++;
	return b;
}

static void body_error(struct xc_body *b, unsigned status, const char *msg)
{
	sl_buf_reset(&b->plain);
	b->status = status;
	b->ctype = CT_JSON;
	b->disp[0] = '\0';
	/* msg: ours; the names in it are race ids and bibs, without " or \ */
	sl_buf_addf(&b->plain, "{\"error\":\"%s\"}\n", msg);
}

/* gzip (windowBits 31: a gzip header) of in into out; false on a zlib error. */
static bool gzip(const sl_buf *in, sl_buf *out)
{
	z_stream z;
	uLong bound;
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, XC_GZIP_LEVEL, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	bound = deflateBound(&z, in->len);
	sl_buf_reset(out);
	sl_buf_reserve(out, bound);
	z.next_in = (Bytef *)in->data;
	z.avail_in = (uInt)in->len; /* an export is far below 4 GB */
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END;
}

/* The plain body's ETags: 128 bits of its SHA-256. */
static void body_etag(struct xc_body *b)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char hex[33];

	EVP_Digest(b->plain.data, b->plain.len, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(b->etag, sizeof(b->etag), "\"%s\"", hex);
	snprintf(b->etag_gz, sizeof(b->etag_gz), "\"%s-gzip\"", hex);
}

/* ---- the worker (off the loop: touches only its job) ------------------------ */

/* The bytes of e's export into b->plain: 0, or an SL_E* code with err. */
static int export_bytes(const core *c, const struct entry *e, struct xc_body *b, char *err,
			size_t errlen)
{
	int rc;

	snprintf(err, errlen, "%s", e->race ? "no such race" : "no event to export yet");
	switch (e->fmt) {
	case XC_CSV:
	case XC_JSON:
		if (e->race)
			rc = e->fmt == XC_CSV ? core_export_csv(c, e->race, &b->plain)
					      : core_export_json(c, e->race, &b->plain);
		else
			rc = e->fmt == XC_CSV ? core_export_event_csv(c, &b->plain)
					      : core_export_event_json(c, &b->plain);
		b->ctype = e->fmt == XC_CSV ? CT_CSV : CT_JSON;
		return rc;
	case XC_PDF:
	case XC_AWARDS:
		b->ctype = CT_PDF;
		snprintf(b->disp, sizeof(b->disp), "inline; filename=\"%s-%s.pdf\"", e->race,
			 e->fmt == XC_PDF ? "results" : "awards");
		return e->fmt == XC_PDF ? print_results_pdf(c, e->race, &b->plain, err, errlen)
					: print_awards_pdf(c, e->race, &b->plain, err, errlen);
	case XC_CERT:
		b->ctype = CT_PDF;
		snprintf(b->disp, sizeof(b->disp), "inline; filename=\"%s-%s.pdf\"", e->race,
			 e->bib);
		return print_certificate_pdf(c, e->race, e->bib, &b->plain, err, errlen);
	case XC_XLSX:
		b->ctype = CT_XLSX;
		snprintf(b->disp, sizeof(b->disp), "attachment; filename=\"%s.xlsx\"",
			 e->race ? e->race : core_event_id(c) ? core_event_id(c) : "results");
		return print_xlsx(c, e->race, &b->plain, err, errlen);
	}
	return SL_EINVAL;
}

static struct xc_body *encode(const core *c, const struct entry *e, const struct xc_body *prev)
{
	struct xc_body *b = body_new();
	char err[200];
	int rc = export_bytes(c, e, b, err, sizeof(err));

	if (rc == SL_ENOENT) {
		body_error(b, 404, err);
		return b;
	}
	if (rc < 0) {
		sl_warn("exports: %s", err);
		body_error(b, 500, "cannot export");
		return b;
	}
	b->status = 200;
	body_etag(b);
	if (prev && prev->status == 200 && strcmp(prev->etag, b->etag) == 0) {
		xcache_unref(b);
		return NULL; /* the same bytes: keep prev, its gzip and its ETag */
	}
	/* PDF and XLSX are compressed already */
	if ((e->fmt == XC_CSV || e->fmt == XC_JSON) && !gzip(&b->plain, &b->gz))
		body_error(b, 500, "cannot compress the export");
	return b;
}

static void on_job(uv_work_t *req)
{
	struct job *j = req->data;
	core *c = core_new();

	j->load_rc = core_snapshot_load(c, j->snap.data, j->snap.len, j->err, sizeof(j->err));
	for (size_t i = 0; j->load_rc == 0 && i < j->n; i++)
		j->out[i] = encode(c, j->ents[i], j->prev[i]);
	core_free(c);
}

/* ---- the loop side ---------------------------------------------------------- */

static void job_start(xcache *x, int lane);

static int lane_of(enum xc_format fmt)
{
	return fmt == XC_CSV || fmt == XC_JSON ? LANE_DATA : LANE_PRINT;
}

static void wait_unlink(struct xc_wait *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->next = w->prev = NULL;
}

static void on_job_done(uv_work_t *req, int status)
{
	struct job *j = req->data;
	xcache *x = j->x;
	struct lane *ln = &x->lanes[j->lane];

	(void)status; /* never cancelled: xcache_free runs after the loop */
	ln->job = NULL;
	/* the lane's worker gets at most half a core: its next start waits
	 * twice as long as this one took */
	uv_update_time(x->loop);
	uint64_t took = uv_now(x->loop) - ln->last_start;
	ln->gap = 2 * took > XC_INTERVAL_MS ? 2 * took : XC_INTERVAL_MS;
	if (j->load_rc < 0) {
		/*
		 * The state did not survive its snapshot (a core bug): right
		 * bodies matter more than a free loop, so encode here, on it.
		 */
		if (!x->load_warned)
			sl_warn("exports: cannot load the core's snapshot (%s); encoding on the "
				"loop",
				j->err);
		x->load_warned = true;
		for (size_t i = 0; i < j->n; i++)
			j->out[i] = encode(x->core, j->ents[i], j->prev[i]);
		j->gen = core_nrecords(x->core); /* what they reflect */
	}
	sl_debug("exports: %zu bodies encoded in %llu ms (snapshot %.1f ms on the loop)", j->n,
		 (unsigned long long)took, j->snap_ns / 1e6);
	for (size_t i = 0; i < j->n; i++) {
		struct entry *e = j->ents[i];
		struct xc_wait *w, *next;

		x->encodes++;
		e->busy = false;
		if (j->out[i]) {
			xcache_unref(e->cur);
			e->cur = j->out[i];
		}
		e->gen = j->gen;
		xcache_unref(j->prev[i]);
		for (w = e->waiters.next; w != &e->waiters; w = next) {
			next = w->next;
			if (w->gen <= e->gen) {
				wait_unlink(w);
				w->on_ready(w, body_ref(e->cur));
			}
		}
	}
	sl_buf_release(&ln->spare);
	ln->spare = j->snap;
	int lane = j->lane;
	SL_FREE_MANY(j->ents, j->prev, j->out, j);
	job_start(x, lane); /* waiters that came after the snapshot, if the interval allows */
}

/*
 * An encode of every entry with waiters, unless one runs, or one started
 * too recently and the core has changed since (the interval bounds the
 * re-encoding of a live race; a first request for another race or format
 * while nothing changes does not wait for it).
 */
static bool waited_for(const struct entry *e, int lane)
{
	return lane_of(e->fmt) == lane && e->waiters.next != &e->waiters;
}

static void job_start(xcache *x, int lane)
{
	struct lane *ln = &x->lanes[lane];
	uint64_t now = uv_now(x->loop);
	struct job *j;
	size_t n = 0;

	if (ln->job || (ln->started && now - ln->last_start < ln->gap &&
			core_nrecords(x->core) != ln->last_gen))
		return;
	for (size_t i = 0; i < x->nents; i++)
		n += waited_for(x->ents[i], lane);
	if (n == 0)
		return;
	j = sl_calloc(1, sizeof(*j));
	j->req.data = j;
	j->x = x;
	j->lane = lane;
	j->gen = core_nrecords(x->core);
	j->ents = sl_calloc(n, sizeof(*j->ents));
	j->prev = sl_calloc(n, sizeof(*j->prev));
	j->out = sl_calloc(n, sizeof(*j->out));
	for (size_t i = 0; i < x->nents; i++) {
		struct entry *e = x->ents[i];
		if (!waited_for(e, lane))
			continue;
		e->busy = true;
		j->ents[j->n] = e;
		j->prev[j->n++] = e->cur ? body_ref(e->cur) : NULL;
	}
	uint64_t t0 = uv_hrtime();
	j->snap = ln->spare;
	ln->spare = (sl_buf)SL_BUF_INIT;
	sl_buf_reset(&j->snap);
	core_snapshot_save(x->core, &j->snap); /* the only encoding on the loop */
	j->snap_ns = uv_hrtime() - t0;
	ln->job = j;
	ln->started = true;
	ln->last_start = now;
	ln->last_gen = j->gen;
	uv_queue_work(x->loop, &j->req, on_job, on_job_done);
}

static void entry_free(struct entry *e)
{
	xcache_unref(e->cur);
	SL_FREE_MANY(e->race, e->bib, e);
}

/*
 * Certificates are one entry per finisher: past XC_CERT_MAX, the one asked
 * for least recently that nobody waits for and no job holds goes.
 */
static void certs_trim(xcache *x)
{
	size_t old = x->nents;

	if (x->ncerts < XC_CERT_MAX)
		return;
	for (size_t i = 0; i < x->nents; i++) {
		struct entry *e = x->ents[i];
		if (e->fmt == XC_CERT && !e->busy && e->waiters.next == &e->waiters &&
		    (old == x->nents || e->used < x->ents[old]->used))
			old = i;
	}
	if (old == x->nents)
		return; /* all busy: bounded by the requests open */
	entry_free(x->ents[old]);
	x->ents[old] = x->ents[--x->nents];
	x->ncerts--;
}

static bool same_str(const char *a, const char *b)
{
	return a ? b && strcmp(a, b) == 0 : !b;
}

static struct entry *entry_get(xcache *x, const char *race, enum xc_format fmt, const char *bib)
{
	struct entry *e;

	bib = fmt == XC_CERT ? bib : NULL;
	x->uses++;
	for (size_t i = 0; i < x->nents; i++) {
		e = x->ents[i];
		if (e->fmt == fmt && same_str(e->race, race) && same_str(e->bib, bib)) {
			e->used = x->uses;
			return e;
		}
	}
	if (fmt == XC_CERT) {
		certs_trim(x);
		x->ncerts++;
	}
	e = sl_calloc(1, sizeof(*e));
	e->race = race ? sl_strdup(race) : NULL;
	e->bib = bib ? sl_strdup(bib) : NULL;
	e->fmt = fmt;
	e->used = x->uses;
	e->waiters.next = e->waiters.prev = &e->waiters;
	x->ents = sl_realloc(x->ents, (x->nents + 1) * sizeof(*x->ents));
	x->ents[x->nents++] = e;
	return e;
}

xcache *xcache_new(uv_loop_t *loop, core *c)
{
	xcache *x = sl_calloc(1, sizeof(*x));

	x->loop = loop;
	x->core = c;
	for (int l = 0; l < NLANES; l++)
		x->lanes[l].gap = XC_INTERVAL_MS;
	return x;
}

bool xcache_idle(const xcache *x)
{
	for (size_t i = 0; i < NLANES; i++)
		if (x->lanes[i].job)
			return false;
	for (size_t i = 0; i < x->nents; i++)
		if (x->ents[i]->waiters.next != &x->ents[i]->waiters)
			return false;
	return true;
}

void xcache_free(xcache *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nents; i++)
		entry_free(x->ents[i]);
	for (int l = 0; l < NLANES; l++)
		sl_buf_release(&x->lanes[l].spare);
	SL_FREE_MANY(x->ents, x);
	print_cleanup(); /* no worker runs now */
}

struct xc_body *xcache_get(xcache *x, const char *race, enum xc_format fmt, const char *bib,
			   struct xc_wait *w)
{
	struct entry *e = entry_get(x, race, fmt, bib);
	uint64_t gen = core_nrecords(x->core);

	if (e->cur && e->gen >= gen)
		return body_ref(e->cur);
	w->gen = gen;
	w->prev = e->waiters.prev;
	w->next = &e->waiters;
	e->waiters.prev->next = w;
	e->waiters.prev = w;
	job_start(x, lane_of(fmt));
	return NULL;
}

void xcache_cancel(struct xc_wait *w)
{
	if (w->next)
		wait_unlink(w);
}

void xcache_tick(xcache *x)
{
	for (int l = 0; l < NLANES; l++)
		job_start(x, l);
}

uint64_t xcache_encodes(const xcache *x)
{
	return x->encodes;
}
