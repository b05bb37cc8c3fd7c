/*
 * slid.h: the one grammar of the names Splitline takes from outside, used
 * by the server, the core's config validator, the CLI's YAML reader, the
 * reader and the scanner (PROTOCOL.md, "Names"):
 *
 *   event id   [a-z0-9-]{1,64}       it names Redis keys, URLs and the
 *                                    run's folder var/<event>/
 *   id         [A-Za-z0-9_.+-]{1,64} races, waves, points, categories
 *                                    ("M80+"), stations
 *   device     [A-Za-z0-9_.-]{1,64}, not starting with '.': it names
 *                                    the reader's journal file, so it can
 *                                    be neither a path nor a dot file
 *
 * Names are byte strings of n bytes (not NUL-terminated); nothing is owned.
 */
#ifndef SL_SLID_H
#define SL_SLID_H

#include <stdbool.h>
#include <stddef.h>

#define SL_ID_MAX 64

/* The grammars in words, for messages: "device: expected " SL_DEVICE_WORDS */
#define SL_EVENT_ID_WORDS "1 to 64 of a-z, 0-9 and '-'"
#define SL_ID_WORDS "1 to 64 letters, digits, '-', '_', '.' or '+'"
#define SL_DEVICE_WORDS "1 to 64 letters, digits, '-', '_' or '.', not beginning with '.'"

bool sl_event_id_ok(const char *s, size_t n);
bool sl_id_ok(const char *s, size_t n);
bool sl_device_ok(const char *s, size_t n);

#endif
