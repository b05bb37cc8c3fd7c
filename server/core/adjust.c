/*
 * adjust.c: parsing adjust records and folding them into a bib's state
 * (see adjust.h).  Validation against the event (does the bib exist, is
 * the station one of the point's) is the core's; here only the record's
 * own shape is checked, with errors naming the field.
 */
#include "adjust.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cval.h"
#include "slp.h"

static const char *const names[ADJ_NTYPES] = {
	"penalty", "dq", "dns", "dnf", "scratch", "exhibition", "relegation", "place", "station",
	"hand_time"};

const char *adj_type_name(int type)
{
	return type >= 0 && type < ADJ_NTYPES ? names[type] : "?";
}

bool adj_is_flag(int type)
{
	return type >= ADJ_DQ && type <= ADJ_RELEG;
}

int adj_parse(const msgpack_object *root, struct adj_rec *a, char *err, size_t errlen)
{
	const char *s;
	size_t n;
	int64_t v;
	bool present;
	int rc;

	memset(a, 0, sizeof(*a));
	a->on = true;
	a->t = NO_TIME;
	if ((rc = cval_id(root, "bib", true, &a->bib, "", err, errlen)) < 0)
		goto out;
	rc = slp_get_str(root, "type", &s, &n);
	if (rc == SL_ENOENT)
		CVAL_FAIL_OUT(SL_EINVAL, "type: required");
	a->type = -1;
	for (int i = 0; rc == 0 && i < ADJ_NTYPES; i++)
		if (strlen(names[i]) == n && !memcmp(names[i], s, n))
			a->type = i;
	if (a->type < 0)
		CVAL_FAIL_OUT(SL_EINVAL, "type: expected penalty, dq, dns, dnf, scratch, "
					 "exhibition, relegation, place, "
					 "station or hand_time");
	if ((rc = cval_str(root, "reason", true, &a->reason, "", err, errlen)) < 0)
		goto out;
	if ((rc = cval_str(root, "official", true, &a->official, "", err, errlen)) < 0)
		goto out;
	if (!*a->official)
		CVAL_FAIL_OUT(SL_EINVAL, "official: expected a name");
	switch (a->type) {
	case ADJ_PENALTY:
		/* a penalty adds time; a bonus (negative) takes time off; 0 clears */
		if ((rc = cval_int(root, "ms", -86400000, 86400000, &a->ms, &present, "", err,
				   errlen)) < 0)
			goto out;
		if (!present)
			CVAL_FAIL_OUT(SL_EINVAL, "ms: required");
		break;
	case ADJ_PLACE:
		if ((rc = cval_int(root, "place", 0, 100000, &v, &present, "", err, errlen)) < 0)
			goto out;
		if (!present)
			CVAL_FAIL_OUT(SL_EINVAL, "place: required (0 clears)");
		a->place = (int)v;
		if (slp_get_bool(root, "dead_heat", &a->dead_heat) == SL_EINVAL)
			CVAL_FAIL_OUT(SL_EINVAL, "dead_heat: expected true or false");
		break;
	case ADJ_STATION:
	case ADJ_HAND:
		if ((rc = cval_id(root, "pt", true, &a->pt, "", err, errlen)) < 0)
			goto out;
		if (a->type == ADJ_STATION) {
			if ((rc = cval_id(root, "station", false, &a->station, "", err, errlen)) < 0)
				goto out;
		} else {
			/*
			 * The hand time is "at": "t" is the message's type on the
			 * wire (and was stripped with it).  Records written before
			 * carry it as "t", read as such.
			 */
			const char *key = "at";
			const msgpack_object *o = slp_get(root, key);
			if (!o && slp_get(root, "k"))
				o = slp_get(root, key = "t");
			if (!o)
				CVAL_FAIL_OUT(SL_EINVAL, "at: required, a time (null clears)");
			if (o->type != MSGPACK_OBJECT_NIL) {
				if ((rc = cval_time(root, key, &a->t, &present, "", err, errlen)) < 0)
					goto out;
			}
		}
		break;
	default: {
		if ((rc = slp_get_bool(root, "on", &a->on)) == SL_EINVAL)
			CVAL_FAIL_OUT(SL_EINVAL, "on: expected true or false");
		if (rc == SL_ENOENT)
			a->on = true;
		rc = 0;
	}
	}
	rc = 0;
out:
	if (rc < 0)
		adj_release(a);
	return rc;
}

void adj_release(struct adj_rec *a)
{
	SL_FREE_MANY(a->bib, a->pt, a->station, a->reason, a->official);
	memset(a, 0, sizeof(*a));
}

void adj_pack(msgpack_packer *pk, const struct adj_rec *a)
{
	int n = 5;
	switch (a->type) {
	case ADJ_PENALTY:
		n++;
		break;
	case ADJ_PLACE:
		n += 1 + a->dead_heat;
		break;
	case ADJ_STATION:
		n += 1 + (a->station != NULL);
		break;
	case ADJ_HAND:
		n += 2;
		break;
	default:
		n++;
	}
	msgpack_pack_map(pk, (size_t)n);
	slp_pack_kv_str(pk, "k", "adjust");
	slp_pack_kv_str(pk, "bib", a->bib);
	slp_pack_kv_str(pk, "type", names[a->type]);
	slp_pack_kv_str(pk, "reason", a->reason);
	slp_pack_kv_str(pk, "official", a->official);
	switch (a->type) {
	case ADJ_PENALTY:
		slp_pack_kv_int(pk, "ms", a->ms);
		break;
	case ADJ_PLACE:
		slp_pack_kv_int(pk, "place", a->place);
		slp_pack_kv_flag(pk, "dead_heat", a->dead_heat);
		break;
	case ADJ_STATION:
		slp_pack_kv_str(pk, "pt", a->pt);
		slp_pack_kv_str_opt(pk, "station", a->station);
		break;
	case ADJ_HAND:
		slp_pack_kv_str(pk, "pt", a->pt);
		slp_pack_key(pk, "at");
		if (a->t == NO_TIME)
			msgpack_pack_nil(pk);
		else
			msgpack_pack_int64(pk, a->t);
		break;
	default:
		slp_pack_kv_bool(pk, "on", a->on);
	}
}

static struct adj_point *point(struct adj_state *s, const char *pt)
{
	for (size_t i = 0; i < s->npts; i++)
		if (!strcmp(s->pts[i].pt, pt))
			return &s->pts[i];
	s->pts = sl_realloc(s->pts, (s->npts + 1) * sizeof(*s->pts));
	s->pts[s->npts] = (struct adj_point){sl_strdup(pt), NULL, NO_TIME};
	return &s->pts[s->npts++];
}

void adj_state_apply(struct adj_state *s, const struct adj_rec *a)
{
	struct adj_point *p;
	switch (a->type) {
	case ADJ_PENALTY:
		s->penalty_ms = a->ms;
		break;
	case ADJ_PLACE:
		s->place = a->place;
		s->place_dh = a->dead_heat;
		break;
	case ADJ_STATION:
		p = point(s, a->pt);
		free(p->station);
		p->station = a->station ? sl_strdup(a->station) : NULL;
		break;
	case ADJ_HAND:
		p = point(s, a->pt);
		p->hand = a->t;
		break;
	default:
		s->flag[a->type] = a->on;
	}
}

void adj_state_release(struct adj_state *s)
{
	free(s->bib);
	for (size_t i = 0; i < s->npts; i++) {
		free(s->pts[i].pt);
		free(s->pts[i].station);
	}
	free(s->pts);
	memset(s, 0, sizeof(*s));
}

const struct adj_point *adj_state_point(const struct adj_state *s, const char *pt)
{
	for (size_t i = 0; i < s->npts; i++)
		if (!strcmp(s->pts[i].pt, pt))
			return &s->pts[i];
	return NULL;
}
