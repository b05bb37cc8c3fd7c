/*
 * handlers.h: the handlers of the messages of /ws, one family per file:
 *
 *   h_session.c   hello, subscribe, unsubscribe
 *   h_input.c     passings
 *   h_checkin.c   checkins, checkin_undo
 *   h_official.c  participants, wave_start, event_create, adjust,
 *                 race_official, lineup, read_void
 *   h_token.c     token_issue, token_revoke
 *   h_series.c    series_put
 *
 * ws.c calls them from its table (one per enum net_msg) after net_allowed
 * said the session's role may send the message.  Each answers the request
 * exactly once (ok, ack or err carrying id), now or when Redis answered
 * (request.h), except subscribe, whose ok is followed by the snapshot.  m
 * is borrowed for the call.
 */
#ifndef SL_NET_HANDLERS_H
#define SL_NET_HANDLERS_H

#include "net/request.h"

typedef void net_handler_fn(sess *s, uint64_t id, slp_msg *m);

net_handler_fn h_hello, h_subscribe, h_unsubscribe;
net_handler_fn h_passings;
net_handler_fn h_checkins, h_checkin_undo;
net_handler_fn h_participants, h_wave_start, h_event_create, h_adjust, h_race_official, h_lineup,
	h_read_void;
net_handler_fn h_token_issue, h_token_revoke;
net_handler_fn h_series_put;

/* An official's record sent as a message of the same name, k (h_official.c). */
void h_official_rec(sess *s, uint64_t id, const msgpack_object *root, const char *k);
/* Constant-time comparison of two 64-digit hashes (h_token.c). */
bool net__hash_eq(const char *a, const char *b);

#endif
