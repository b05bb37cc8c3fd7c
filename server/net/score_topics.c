/*
 * score_topics.c: the live score topics (PROTOCOL.md, "Topics"):
 *
 *   teams/<race>    the team tables of a race of the session's event
 *   awards/<race>   its award list
 *   series/<id>     a series' standings (its events loaded and held while
 *                   the topic has subscribers)
 *
 * Unlike the core's topics they have no row deltas: a subscriber gets a
 * snapshot at once, then a new snapshot whenever the tick finds that the
 * events behind the topic folded new records and the map changed (the
 * bytes are compared, so a read that moves nobody sends nothing).  One
 * group per topic (and event, for teams and awards) holds the subscribers
 * and the last map sent; it goes with its last subscriber.  These are few
 * (a page per race or series), so groups are a list and sends are per
 * session (sess_send_mp).
 */
#include <stdlib.h>
#include <string.h>

#include "net/net_int.h"
#include "score.h"
#include "slid.h"


struct sgroup {
	struct sgroup *next;
	char topic[160];
	struct event *ev;    /* teams, awards: the event (a reference); series: NULL */
	struct event **sevs; /* series: its events held (references) */
	size_t nsevs;
	uint64_t seen; /* records of the events when last encoded */
	bool caught;   /* all of them had caught up then */
	sl_buf last;   /* the snapshot last sent (msgpack) */
	sess **subs;
	size_t nsubs, cap;
};

bool score_topic(const char *topic, size_t tn)
{
	return (tn > 6 && memcmp(topic, "teams/", 6) == 0) ||
	       (tn > 7 && memcmp(topic, "awards/", 7) == 0) ||
	       (tn > 7 && memcmp(topic, "series/", 7) == 0);
}

static bool is_series(const struct sgroup *g)
{
	return strncmp(g->topic, "series/", 7) == 0;
}

/* The records folded by the group's events, and whether all caught up. */
static uint64_t records(const struct sgroup *g, bool *caught)
{
	uint64_t r = 0;

	*caught = true;
	if (g->ev) {
		*caught = evlog_caught_up(g->ev->log);
		return core_nrecords(g->ev->core);
	}
	for (size_t i = 0; i < g->nsevs; i++) {
		*caught &= evlog_caught_up(g->sevs[i]->log);
		r += core_nrecords(g->sevs[i]->core);
	}
	return r;
}

/* {"t":"snapshot","topic":T,"data":<the map>} into b; < 0 when it cannot be made. */
static int encode(net *n, struct sgroup *g, sl_buf *b)
{
	msgpack_packer pk;
	const char *name = strchr(g->topic, '/') + 1;
	char err[256];
	int rc;

	slp_packer_init(&pk, b);
	msgpack_pack_map(&pk, 3);
	slp_pack_kv_str(&pk, "t", "snapshot");
	slp_pack_kv_str(&pk, "topic", g->topic);
	slp_pack_key(&pk, "data");
	if (is_series(g))
		rc = scores_pack_series(n, name, &pk, NULL, err, sizeof(err));
	else if (g->topic[0] == 't')
		rc = scores_pack_teams(g->ev, name, &pk);
	else
		rc = scores_pack_awards(g->ev, name, &pk);
	return rc;
}

static void group_free(net *n, struct sgroup *g)
{
	for (struct sgroup **pg = &n->sgroups; *pg; pg = &(*pg)->next) {
		if (*pg == g) {
			*pg = g->next;
			break;
		}
	}
	event_unref(g->ev);
	events_release(g->sevs, g->nsevs);
	free(g->subs);
	sl_buf_release(&g->last);
	free(g);
}

static struct sgroup *group_get(net *n, sess *s, const char *topic, size_t tn)
{
	bool series = tn > 7 && memcmp(topic, "series/", 7) == 0;
	struct sgroup *g;

	for (g = n->sgroups; g; g = g->next)
		if (strlen(g->topic) == tn && memcmp(g->topic, topic, tn) == 0 &&
		    (series || g->ev == s->ev))
			return g;
	g = sl_calloc(1, sizeof(*g));
	memcpy(g->topic, topic, tn);
	if (!series) {
		g->ev = s->ev;
		event_ref(g->ev);
	} else {
		struct series_cfg cfg;
		char err[200];
		if (scores_series_cfg(n, g->topic + 7, &cfg, err, sizeof(err)) == 0) {
			g->nsevs = events_hold(n, cfg.events, cfg.nevents, &g->sevs);
			series_cfg_release(&cfg);
		} /* else gone since check_name: a group of no event */
	}
	g->next = n->sgroups;
	n->sgroups = g;
	return g;
}

static size_t subs_of(net *n, const sess *s)
{
	size_t k = 0;

	for (struct sgroup *g = n->sgroups; g; g = g->next)
		for (size_t i = 0; i < g->nsubs; i++)
			k += g->subs[i] == s;
	return k;
}

/* The name after the prefix must be an id (a race, or a series). */
static int check_name(net *n, const sess *s, const char *topic, size_t tn)
{
	const char *name = memchr(topic, '/', tn) + 1;
	size_t nn = tn - (size_t)(name - topic);
	char buf[72];
	struct core_entries x;

	if (nn >= sizeof(buf) || !sl_id_ok(name, nn))
		return SL_EINVAL;
	memcpy(buf, name, nn);
	buf[nn] = '\0';
	if (topic[0] == 's') {
		char err[200];
		struct series_cfg cfg;
		if (!sl_event_id_ok(name, nn) || scores_series_cfg(n, buf, &cfg, err, sizeof(err)) < 0)
			return SL_ENOENT;
		series_cfg_release(&cfg);
		return 0;
	}
	if (!evlog_caught_up(s->ev->log))
		return 0; /* the race may not be folded yet: the snapshot comes when it is */
	if (core_race_entries(s->ev->core, buf, &x) < 0)
		return SL_ENOENT;
	core_entries_release(&x);
	return 0;
}

int score_subscribe(net *n, sess *s, uint64_t id, const char *topic, size_t tn)
{
	struct sgroup *g;
	int rc;

	if (tn >= sizeof(g->topic))
		return SL_EINVAL;
	if ((rc = check_name(n, s, topic, tn)) < 0)
		return rc;
	g = group_get(n, s, topic, tn);
	for (size_t i = 0; i < g->nsubs; i++)
		if (g->subs[i] == s)
			goto ok; /* again: a fresh snapshot */
	if (subs_of(n, s) >= NET_SCORE_SUBS_MAX) {
		if (!g->nsubs)
			group_free(n, g);
		return SL_ERANGE;
	}
	SL_GROW(g->subs, g->cap, g->nsubs + 1);
	g->subs[g->nsubs++] = s;
	s->refs++;
ok:
	sess_send_ok(s, id);
	bool caught;
	uint64_t r = records(g, &caught);
	if (caught) {
		sl_buf b = SL_BUF_INIT;
		if (encode(n, g, &b) == 0) {
			sess_send_mp(s, b.data, b.len);
			if (g->nsubs == 1 && !g->caught) { /* a new group: this is what it sent */
				sl_buf_add(&g->last, b.data, b.len);
				g->seen = r;
				g->caught = true;
			}
		}
		sl_buf_release(&b);
	}
	return 0;
}

static void remove_at(net *n, struct sgroup *g, size_t i)
{
	sess *s = g->subs[i];

	g->subs[i] = g->subs[--g->nsubs];
	sess_unref(s);
	if (g->nsubs == 0)
		group_free(n, g);
}

void score_unsubscribe(net *n, sess *s, const char *topic, size_t tn)
{
	for (struct sgroup *g = n->sgroups, *next; g; g = next) {
		next = g->next;
		if (strlen(g->topic) != tn || memcmp(g->topic, topic, tn) != 0)
			continue;
		for (size_t i = g->nsubs; i-- > 0;)
			if (g->subs[i] == s) {
				remove_at(n, g, i);
				break;
			}
	}
}

void score_drop_sess(net *n, sess *s)
{
	for (struct sgroup *g = n->sgroups, *next; g; g = next) {
		next = g->next;
		for (size_t i = g->nsubs; i-- > 0;)
			if (g->subs[i] == s) {
				remove_at(n, g, i);
				break;
			}
	}
}

void score_tick(net *n)
{
	sl_buf b = SL_BUF_INIT;

	for (struct sgroup *g = n->sgroups; g; g = g->next) {
		bool caught;
		uint64_t r = records(g, &caught);
		if (!caught || (g->caught && r == g->seen))
			continue;
		g->seen = r;
		g->caught = true;
		sl_buf_reset(&b);
		if (encode(n, g, &b) < 0 ||
		    (b.len == g->last.len && memcmp(b.data, g->last.data, b.len) == 0))
			continue;
		sl_buf_reset(&g->last);
		sl_buf_add(&g->last, b.data, b.len);
		for (size_t i = 0; i < g->nsubs; i++)
			if (g->subs[i]->wsi && !g->subs[i]->close_code)
				sess_send_mp(g->subs[i], b.data, b.len);
	}
	sl_buf_release(&b);
}

void score_free(net *n)
{
	while (n->sgroups) {
		struct sgroup *g = n->sgroups;
		while (g->nsubs > 1) {
			sess_unref(g->subs[--g->nsubs]);
		}
		remove_at(n, g, 0); /* frees g */
	}
}
