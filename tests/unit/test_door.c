/*
 * test_door.c: the front door's scanner (server/net/door.c) on its own:
 * request heads counted against the 414/431 limits across reads, bodies
 * and keep-alive requests skipped, WebSocket frame headers checked after an
 * upgrade, and a broken frame reported to the session bound to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/door.h"
#include "t.h"

/* descriptors for the scanner alone: far above any real one, since the door
 * also looks at real descriptors that were once given to door_accept() */
#define FAKE_FD 4000

static int violations;
static char last_why[128];

static void on_violation(void *owner, const char *why)
{
	(void)owner;
	violations++;
	snprintf(last_why, sizeof(last_why), "%s", why);
}

/* n bytes through the door in reads of `step` bytes: bytes passed on. */
static size_t feed(int fd, const void *p, size_t n, size_t step, const char **reply)
{
	size_t off = 0, passed = 0;
	*reply = NULL;
	while (off < n) {
		size_t k = n - off < step ? n - off : step;
		const char *r = NULL;
		passed += door_scan(fd, (const unsigned char *)p + off, k, &r);
		if (r)
			*reply = r;
		off += k;
	}
	return passed;
}

#define UPGRADE "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n"

static void heads_within_limits_pass(void)
{
	char req[DOOR_HEAD_MAX];
	const char *r;
	for (size_t step = 1; step <= 4096; step *= 4) {
		door_accept(FAKE_FD);
		/* a request line of exactly the limit (with CRLF), headers up to the head's */
		size_t n = (size_t)snprintf(req, sizeof(req), "GET /");
		while (n < DOOR_LINE_MAX - 11)
			req[n++] = 'a';
		n += (size_t)snprintf(req + n, sizeof(req) - n, " HTTP/1.1\r\nCookie: ");
		while (n < DOOR_HEAD_MAX - 4)
			req[n++] = 'c';
		memcpy(req + n, "\r\n\r\n", 4);
		n += 4;
		ASSERT_EQ(n, DOOR_HEAD_MAX);
		ASSERT_EQ(feed(FAKE_FD, req, n, step, &r), n);
		ASSERT(r == NULL);
		/* keep-alive: the next request starts fresh */
		ASSERT_EQ(feed(FAKE_FD, "GET / HTTP/1.1\r\n\r\n", 18, step, &r), 18);
		ASSERT(r == NULL);
	}
}

static void long_line_is_414_long_head_431(void)
{
	static char req[DOOR_HEAD_MAX + 64];
	const char *r;
	door_accept(FAKE_FD);
	size_t n = (size_t)snprintf(req, sizeof(req), "GET /");
	while (n < DOOR_LINE_MAX + 1)
		req[n++] = 'a';
	ASSERT_EQ(feed(FAKE_FD, req, n, 1000, &r), 1000 * (DOOR_LINE_MAX / 1000));
	ASSERT(r && strncmp(r, "HTTP/1.1 414 ", 13) == 0);
	/* nothing more passes on this connection */
	ASSERT_EQ(feed(FAKE_FD, "GET / HTTP/1.1\r\n\r\n", 18, 18, &r), 0);

	door_accept(FAKE_FD);
	n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nCookie: ");
	while (n < DOOR_HEAD_MAX + 1)
		req[n++] = 'c';
	ASSERT_EQ(feed(FAKE_FD, req, n, n, &r), 0);
	ASSERT(r && strncmp(r, "HTTP/1.1 431 ", 13) == 0);
	ASSERT(strstr(r, "content-length: 30\r\n\r\nrequest head over 16384 bytes\n") != NULL);
}

static void bodies_are_skipped(void)
{
	const char *r;
	door_accept(FAKE_FD);
	/* a body of bytes that would be a broken frame, then an upgrade */
	static const char req[] = "POST /x HTTP/1.1\r\nContent-Length: 4\r\n\r\n\x81\x05hi"
				  UPGRADE "\x81\x82MASK\x01\x02";
	ASSERT_EQ(feed(FAKE_FD, req, sizeof(req) - 1, 3, &r), sizeof(req) - 1);
	ASSERT(r == NULL);
}

static void frames_checked_after_upgrade(void)
{
	const char *r;
	int sess = 1;
	static const struct {
		const char *bytes;
		size_t n;
		const char *why; /* NULL: passes */
	} cases[] = {
		{"\x81\x85MASKhello", 11, NULL},
		{"\x82\xfe\x00\x7eMASK", 8, NULL}, /* 126 bytes follow */
		{"\x81\x05hello", 7, "unmasked frame from a client (RFC 6455 5.1)"},
		{"\x89\xfe\x00\x7eMASK", 8, "control frame over 125 bytes (RFC 6455 5.5)"},
		{"\x89\xfdMASK", 6, NULL}, /* a ping of 125: allowed */
		{"\x82\xff\x80\0\0\0\0\0\0\0MASK", 14,
		 "64-bit frame length with its top bit set (RFC 6455 5.2)"},
		{"\x82\xff\x00\0\0\0\0\0\0\x01MASK", 14, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t step = 1; step <= 64; step *= 8) {
			char buf[512];
			door_accept(FAKE_FD + 1);
			door_bind(FAKE_FD + 1, &sess);
			violations = 0;
			/* a good frame first, then the case, then a good one */
			size_t n = 0;
			memcpy(buf, UPGRADE, sizeof(UPGRADE) - 1);
			n += sizeof(UPGRADE) - 1;
			memcpy(buf + n, "\x81\x82MASK\x01\x02", 8);
			n += 8;
			size_t at = n;
			memcpy(buf + n, cases[i].bytes, cases[i].n);
			n += cases[i].n;
			size_t body = (unsigned char)cases[i].bytes[1] == 0xfe ? 126
				      : (unsigned char)cases[i].bytes[1] == 0xfd ? 125
				      : (unsigned char)cases[i].bytes[1] == 0xff ? 1
										  : 0;
			memset(buf + n, 'x', body);
			n += body;
			memcpy(buf + n, "\x81\x82MASK\x01\x02", 8);
			n += 8;
			size_t passed = feed(FAKE_FD + 1, buf, n, step, &r);
			ASSERT(r == NULL);
			/* reported at the next read, once lws handled what came before */
			ASSERT_EQ(violations, 0);
			if (!cases[i].why) {
				ASSERT_EQ(passed, n);
			} else {
				/* the bytes before the broken frame, and at most the two
				 * header bytes that told (when read before the rest) */
				ASSERT(passed >= at && passed <= at + 2);
			}
		}
	}
}

/* Through the recv() that lws calls, on a real socket. */
static void reads_report_after_what_came_before(void)
{
	int sv[2], sess = 3;
	char buf[4096];
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ASSERT_EQ(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	door_accept(sv[0]);
	door_bind(sv[0], &sess);
	violations = 0;
	/* a good frame and a broken one in one write: the good one is read first */
	static const char in[] = UPGRADE "\x81\x85MASKhello" "\x81\x05hello";
	ASSERT_EQ(write(sv[1], in, sizeof(in) - 1), (ssize_t)(sizeof(in) - 1));
	ASSERT_EQ(recv(sv[0], buf, sizeof(buf), 0), (ssize_t)(sizeof(UPGRADE) - 1 + 11));
	ASSERT_EQ(violations, 0);
	/* the broken frame stays in the socket: the next read reports it, reads nothing */
	errno = 0;
	ASSERT_EQ(recv(sv[0], buf, sizeof(buf), 0), -1);
	ASSERT_EQ(errno, EAGAIN);
	ASSERT_EQ(violations, 1);
	ASSERT_STREQ(last_why, "unmasked frame from a client (RFC 6455 5.1)");
	/* what follows is dropped; the peer's close goes up as EOF */
	ASSERT_EQ(write(sv[1], "\x81\x85MASKhello", 11), 11);
	ASSERT_EQ(recv(sv[0], buf, sizeof(buf), 0), -1);
	close(sv[1]);
	ASSERT_EQ(recv(sv[0], buf, sizeof(buf), 0), 0);
	ASSERT_EQ(violations, 1);
	close(sv[0]);

	/* broken before the session is bound: reported at the bind */
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ASSERT_EQ(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	door_accept(sv[0]);
	violations = 0;
	static const char in2[] = UPGRADE "\x81\x05hello";
	ASSERT_EQ(write(sv[1], in2, sizeof(in2) - 1), (ssize_t)(sizeof(in2) - 1));
	ASSERT_EQ(recv(sv[0], buf, sizeof(buf), 0), (ssize_t)(sizeof(UPGRADE) - 1));
	ASSERT_EQ(recv(sv[0], buf, sizeof(buf), 0), -1);
	ASSERT_EQ(violations, 0);
	door_bind(sv[0], &sess);
	ASSERT_EQ(violations, 1);
	door_unbind(sv[0]);

	/* a request head over the limit is answered 431 on the socket itself */
	door_accept(sv[0]);
	static char big[DOOR_HEAD_MAX + 100];
	size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nCookie: ");
	while (n < sizeof(big))
		big[n++] = 'c';
	ASSERT_EQ(write(sv[1], big, n), (ssize_t)n);
	size_t passed = 0;
	ssize_t k;
	while ((k = recv(sv[0], buf, sizeof(buf), 0)) > 0) /* lws reads in 4 KB pieces */
		passed += (size_t)k;
	ASSERT(passed <= DOOR_HEAD_MAX); /* never more than its buffer takes */
	struct pollfd pfd = {.fd = sv[1], .events = POLLIN};
	ASSERT_EQ(poll(&pfd, 1, 5000), 1);
	ssize_t got = read(sv[1], buf, sizeof(buf) - 1); /* read(): not the door's recv() */
	if (got <= 0)
		fprintf(stderr, "reading the 431: %zd (%s), %zu bytes passed\n", got,
			strerror(errno), passed);
	ASSERT(got > 0);
	buf[got > 0 ? got : 0] = '\0';
	ASSERT(strncmp(buf, "HTTP/1.1 431 ", 13) == 0);
	close(sv[0]);
	close(sv[1]);

	/* a descriptor accepted again starts over; one never accepted is not looked at */
	const char *r;
	door_accept(FAKE_FD + 2);
	ASSERT_EQ(feed(FAKE_FD + 2, UPGRADE "\x81\x85MASKhello", sizeof(UPGRADE) - 1 + 11, 4, &r),
		  sizeof(UPGRADE) - 1 + 11);
	ASSERT_EQ(door_scan(FAKE_FD + 3, (const unsigned char *)"\x81\x05", 2, &r), 2);
}

static void setup(void)
{
	door_init(on_violation);
}

#define TESTS(X)                                                               \
	X(setup)                                                               \
	X(heads_within_limits_pass)                                            \
	X(long_line_is_414_long_head_431)                                      \
	X(bodies_are_skipped)                                                  \
	X(frames_checked_after_upgrade)                                        \
	X(reads_report_after_what_came_before)
T_MAIN()
