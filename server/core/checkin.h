/*
 * checkin.h: bib pickup and check-in, folded by the core (PROTOCOL.md,
 * "Check-in").
 *
 * Facts: the checkins and checkin_undo records.  A scan's op may change a
 * participant (a bib assigned at pickup, a chip paired, a swap, a
 * transfer): the core's participants then change as by an imported row.
 * What a scan did depends on the participants at fold time, so snapshots
 * save the state below (not the records) and a load restores it.
 *
 * State: per bib, checked in or not, with the device, volunteer, time and
 * seq of the scan that checked it in; per device, a watermark (scans at or
 * below it were folded before and are skipped: resends and overlapping
 * batches count once) and the answer to every scan it sent, in seq order.
 * Answers are decided at fold time (the first scan of a bib in log order
 * checks it in, later ones are warned "already_checked_in" with who and
 * when); names, race and wave are looked up when packed.
 *
 * Views: topics scans/<dev> (the answers of one device), checkin/<race>
 * (counts per race and wave, and the no-show list, registrations waiting
 * for a bib included) and audit (bib and chip changes, undos).
 *
 * Ownership: the state hangs off the core (core.ck), created on first use,
 * freed by checkin_free (core reset/free).  Every pointer passed in is
 * borrowed.
 */
#ifndef SL_CHECKIN_H
#define SL_CHECKIN_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "sl.h"

struct checkin;

/* core.c and fold.c hooks */
void checkin_free(core *c);
/*
 * Fold (dry: only check) a "checkins" or "checkin_undo" record.  0, or
 * SL_E* with err naming the field.
 */
int checkin_fold(core *c, const msgpack_object *root, bool undo, bool dry, char *err,
		 size_t errlen);
void checkin_changes_clear(core *c);
/* Did a check-in change since the last clear (for core_changed-like use). */
bool checkin_changed(const core *c);

/* snapshot.c hooks: is there any state; the state as one msgpack map; and
 * back (after the participants and the config are loaded). */
bool checkin_any(const core *c);
void checkin_snapshot_pack(const core *c, msgpack_packer *pk);
int checkin_snapshot_load(core *c, const msgpack_object *m, char *err, size_t errlen);

/* view.c hooks: 1 when the topic is one of ours (then rc holds the result). */
bool checkin_topic_check(const core *c, const char *topic, size_t n, int *rc);
bool checkin_topic_snapshot(const core *c, const char *topic, size_t n, size_t offset,
			    size_t limit, msgpack_packer *pk, int *rc);
bool checkin_topic_delta(const core *c, const char *topic, size_t n, msgpack_packer *pk,
			 bool *empty, int *rc);

/* Queries (tests, tools). */
struct checkin_info {
	bool in;
	const char *dev, *volunteer; /* into the core, valid until the next apply */
	int64_t t;
	uint64_t seq;
	uint32_t undone; /* times an official undid a check-in of this bib */
};
/* 0, or SL_ENOENT (no participant with that bib). */
int checkin_get(const core *c, const char *bib, struct checkin_info *out);
/* Counts of a race (NULL: every race): registered and checked in. */
void checkin_counts(const core *c, const char *race, size_t *registered, size_t *checked_in);
/* The answer to scan seq of device dev: warning code ("" when checked in
 * now, "already_checked_in", "unknown_code", "wrong_event",
 * "not_registered_for_race"), bib ("" when none); SL_ENOENT when the scan
 * was not folded. */
int checkin_answer(const core *c, const char *dev, uint64_t seq, const char **warning,
		   const char **bib);
/*
 * An official's decision (adjust, wave start, race official, line-up, a
 * hand-entered passing) as a row of the audit trail, from c->cur: op, when,
 * who, device, bib or race, point, reason, from and to (the value before
 * and after, as text), changed (how many results it changed).
 */
void checkin_audit_decision(core *c, int64_t t, bool has_t, const char *dev, size_t devn,
			    const char *by, size_t byn, const char *reason, size_t rn);

/* The audit trail: its length; with i below it, row i's msgpack bytes. */
size_t checkin_audit(const core *c, size_t i, const char **mp, size_t *len);

#endif
