/*
 * test_outbox.c: the device clients' window (clients/common/outbox.h):
 * sending up to the window, acks in and out of order, an ack's "last"
 * covering more, duplicates, a gap, a lost connection, the backoff's bounds
 * with jitter, and which err codes are retried (the retry column of
 * SL_ERRNO_MAP).  Linked against slclient + slproto only; no server.
 */
#include "outbox.h"
#include "t.h"

static void decode(slp_msg *m, const char *json)
{
	memset(m, 0, sizeof(*m));
	ASSERT_EQ(slp_decode(m, json, strlen(json), SLP_JSON), 0);
}

static void window_fills(void)
{
	outbox o;
	outbox_init(&o, 3, 0);
	for (uint64_t i = 0; i < 3; i++) {
		ASSERT(outbox_room(&o));
		outbox_sent(&o, 1 + i * 10, 10, 100 + i, i, 1000 + (int64_t)i);
	}
	ASSERT(!outbox_room(&o));
	ASSERT_EQ(o.inflight, 3);
	ASSERT_EQ(outbox_oldest(&o), 1000);
	ASSERT(outbox_find(&o, 101) != NULL);
	ASSERT(outbox_find(&o, 7) == NULL);
	outbox_release(&o);
}

static void ack_in_order(void)
{
	outbox o;
	outbox_flight f;
	outbox_init(&o, 4, 0);
	outbox_sent(&o, 1, 5, 1, 0, 10);
	outbox_sent(&o, 6, 5, 2, 1, 20);
	ASSERT_EQ(outbox_ack(&o, 1, 0, &f), 0);
	ASSERT_EQ(f.seq, 1);
	ASSERT_EQ(f.n, 5);
	ASSERT_EQ(o.acked, 5);
	ASSERT_EQ(o.inflight, 1);
	ASSERT_EQ(o.nfl, 1);
	ASSERT_EQ(outbox_oldest(&o), 20);
	ASSERT_EQ(outbox_ack(&o, 2, 10, &f), 0);
	ASSERT_EQ(o.acked, 10);
	ASSERT_EQ(o.nfl, 0);
	ASSERT_EQ(outbox_oldest(&o), -1);
	/* a second ack of the same request is not ours any more */
	ASSERT_EQ(outbox_ack(&o, 2, 10, &f), SL_ENOENT);
	ASSERT_EQ(o.acked, 10);
	outbox_release(&o);
}

static void ack_out_of_order(void)
{
	outbox o;
	outbox_flight f;
	outbox_init(&o, 4, 100);
	outbox_sent(&o, 101, 2, 7, 0, 1);
	outbox_sent(&o, 103, 2, 8, 1, 2);
	outbox_sent(&o, 105, 2, 9, 2, 3);
	/* without last: the second batch is acked, acked waits for the first */
	ASSERT_EQ(outbox_ack(&o, 8, 0, &f), 0);
	ASSERT_EQ(f.tag, 1);
	ASSERT_EQ(o.acked, 100);
	ASSERT_EQ(o.inflight, 2);
	ASSERT_EQ(o.nfl, 3);
	ASSERT(outbox_find(&o, 8) == NULL);
	ASSERT_EQ(outbox_oldest(&o), 1);
	ASSERT_EQ(outbox_ack(&o, 7, 0, &f), 0);
	ASSERT_EQ(o.acked, 104);
	ASSERT_EQ(o.nfl, 1);
	ASSERT_EQ(o.inflight, 1);
	/* with last covering everything: the batch it names and all below go */
	outbox_sent(&o, 107, 2, 10, 3, 4);
	ASSERT_EQ(outbox_ack(&o, 10, 108, &f), 0);
	ASSERT_EQ(o.acked, 108);
	ASSERT_EQ(o.nfl, 0);
	ASSERT_EQ(o.inflight, 0);
	outbox_release(&o);
}

static void duplicate_and_reply(void)
{
	slp_msg m;
	outbox_reply r;
	decode(&m, "{\"t\":\"ack\",\"id\":4,\"dev\":\"d\",\"seq\":3,\"last\":6,\"dup\":true}");
	outbox_reply_read(&m, &r);
	ASSERT_EQ(r.kind, OUTBOX_ACK);
	ASSERT(r.has_id && r.id == 4);
	ASSERT(r.has_last && r.last == 6);
	ASSERT(r.has_seq && r.seq == 3);
	ASSERT(r.dup);
	slp_msg_release(&m);
	decode(&m, "{\"t\":\"ack\",\"id\":5}");
	outbox_reply_read(&m, &r);
	ASSERT(!r.dup && !r.has_last && r.has_id);
	slp_msg_release(&m);
	decode(&m, "{\"t\":\"snapshot\",\"topic\":\"x\"}");
	outbox_reply_read(&m, &r);
	ASSERT_EQ(r.kind, OUTBOX_OTHER);
	ASSERT(!r.has_id);
	slp_msg_release(&m);
}

static void gap(void)
{
	slp_msg m;
	outbox_reply r;
	outbox o;
	decode(&m, "{\"t\":\"err\",\"id\":3,\"code\":\"gap\",\"msg\":\"m\",\"expected\":41}");
	outbox_reply_read(&m, &r);
	ASSERT_EQ(r.kind, OUTBOX_ERR);
	ASSERT_EQ(r.err, SL_EGAP);
	ASSERT_EQ(r.retry, SL_RETRY_RESEND);
	ASSERT(r.has_expected && r.expected == 41);
	ASSERT_EQ(r.code_len, 3);
	ASSERT_EQ(r.msg_len, 1);
	outbox_init(&o, 2, 50);
	outbox_sent(&o, 51, 10, 3, 0, 0);
	outbox_gap(&o, (uint64_t)r.expected);
	ASSERT_EQ(o.acked, 40);
	ASSERT_EQ(o.nfl, 0);
	ASSERT(outbox_room(&o));
	slp_msg_release(&m);
	outbox_release(&o);
}

static void drop_resends(void)
{
	outbox o;
	outbox_flight f;
	outbox_init(&o, 8, 0);
	outbox_sent(&o, 1, 1, 1, 0, 0);
	outbox_sent(&o, 2, 1, 2, 1, 0);
	outbox_sent(&o, 3, 1, 3, 2, 0);
	ASSERT_EQ(outbox_ack(&o, 3, 0, &f), 0); /* acked above an unacked one */
	ASSERT_EQ(outbox_drop(&o), 2);
	ASSERT_EQ(o.nfl, 0);
	ASSERT_EQ(o.inflight, 0);
	ASSERT_EQ(o.acked, 0);
	outbox_release(&o);
}

static void backoff_bounds(void)
{
	outbox_backoff b;
	outbox_backoff_init(&b, 100, 5000, 0, 1);
	int64_t want[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ASSERT_EQ(outbox_backoff_next(&b), want[i]);
	outbox_backoff_reset(&b);
	ASSERT_EQ(outbox_backoff_next(&b), 100);
	/* with jitter: within [d - d*pct/100, d], and not always the same */
	outbox_backoff_init(&b, 100, 5000, 20, 12345);
	bool varied = false;
	int64_t first = -1;
	for (int round = 0; round < 50; round++) {
		outbox_backoff_reset(&b);
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			int64_t d = outbox_backoff_next(&b);
			ASSERT(d <= want[i] && d >= want[i] - want[i] / 5);
			if (i == 3) {
				if (first >= 0 && d != first)
					varied = true;
				first = d;
			}
		}
	}
	ASSERT(varied);
	/* a fixed delay (the scanner's 1 s) */
	outbox_backoff_init(&b, 1000, 1000, 0, 0);
	ASSERT_EQ(outbox_backoff_next(&b), 1000);
	ASSERT_EQ(outbox_backoff_next(&b), 1000);
}

static void retried_codes(void)
{
	ASSERT_EQ(sl_err_retry(SL_EUNAVAIL), SL_RETRY_AGAIN);
	ASSERT_EQ(sl_err_retry(SL_ETIMEOUT), SL_RETRY_AGAIN);
	ASSERT_EQ(sl_err_retry(SL_EFULL), SL_RETRY_AGAIN);
	ASSERT_EQ(sl_err_retry(SL_EGAP), SL_RETRY_RESEND);
	int refused[] = {SL_EAUTH, SL_EPERM, SL_ENOENT, SL_EINVAL, SL_ERANGE};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ASSERT_EQ(sl_err_retry(refused[i]), SL_RETRY_REFUSED);
	int no[] = {SL_EPARSE, SL_ETYPE, SL_ETOOBIG, SL_EEXIST, SL_EIO, SL_ESTATE, SL_EDUP, 0, -99};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ASSERT_EQ(sl_err_retry(no[i]), SL_RETRY_NO);
	/* from the wire, through the reply reader */
	static const struct {
		const char *json;
		int err, retry;
	} rows[] = {
		{"{\"t\":\"err\",\"id\":1,\"code\":\"unavailable\"}", SL_EUNAVAIL, SL_RETRY_AGAIN},
		{"{\"t\":\"err\",\"id\":1,\"code\":\"busy\"}", SL_EFULL, SL_RETRY_AGAIN},
		{"{\"t\":\"err\",\"id\":1,\"code\":\"timeout\"}", SL_ETIMEOUT, SL_RETRY_AGAIN},
		{"{\"t\":\"err\",\"id\":1,\"code\":\"unauthorized\"}", SL_EAUTH, SL_RETRY_REFUSED},
		{"{\"t\":\"err\",\"id\":1,\"code\":\"forbidden\"}", SL_EPERM, SL_RETRY_REFUSED},
		{"{\"t\":\"err\",\"id\":1,\"code\":\"bad_request\"}", SL_EINVAL, SL_RETRY_REFUSED},
		{"{\"t\":\"err\",\"id\":1,\"code\":\"conflict\"}", SL_EEXIST, SL_RETRY_NO},
		{"{\"t\":\"err\",\"id\":1,\"code\":\"what\"}", SL_EIO, SL_RETRY_NO},
		{"{\"t\":\"err\",\"id\":1}", SL_EIO, SL_RETRY_NO},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		slp_msg m;
		outbox_reply r;
		decode(&m, rows[i].json);
		outbox_reply_read(&m, &r);
		ASSERT_EQ(r.kind, OUTBOX_ERR);
		ASSERT_EQ(r.err, rows[i].err);
		ASSERT_EQ(r.retry, rows[i].retry);
		slp_msg_release(&m);
	}
	/* the column changed no code's number, wire code or sentence */
	ASSERT_EQ(SL_EGAP, -16);
	ASSERT_STREQ(sl_errcode(SL_EFULL), "busy");
	ASSERT_STREQ(sl_strerror(SL_EUNAVAIL), "store unavailable, try again");
}

#define TESTS(X)                                                                                   \
	X(window_fills)                                                                            \
	X(ack_in_order)                                                                            \
	X(ack_out_of_order)                                                                        \
	X(duplicate_and_reply)                                                                     \
	X(gap)                                                                                     \
	X(drop_resends)                                                                            \
	X(backoff_bounds)                                                                          \
	X(retried_codes)
T_MAIN()
