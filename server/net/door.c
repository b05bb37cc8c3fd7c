/*
 * door.c: the front door of every accepted connection (see door.h).
 *
 * Why here: libwebsockets 4.1 takes an unmasked client frame as it comes,
 * drops the TCP connection without a close frame on a control frame with an
 * extended length or a 64-bit length with its top bit set, and closes the
 * socket without an answer on a request head bigger than its header buffer.
 * RFC 6455 asks for a close with 1002 on each of the first three, and a
 * client that sends a long URL deserves a 414 or 431 it can read.  lws has
 * no hook before its parser, so the door sits under it: splitlined defines
 * recv(), which lws calls to read its sockets (lib/core-net/output.c), and
 * passes the real recv()'s bytes through a scanner first.  Nothing else in
 * the process calls recv() (hiredis and libuv read()), and only descriptors
 * that on_accept() handed to door_accept() are scanned; every other call
 * goes straight to the C library's recv().
 *
 * The scanner follows each connection byte by byte, across reads:
 *   D_HTTP    a request head: the request line, then headers up to an empty
 *             line; sizes are counted against DOOR_LINE_MAX/DOOR_HEAD_MAX,
 *             and "upgrade: websocket", "content-length" and "transfer-
 *             encoding: chunked" are noted;
 *   D_BODY    a request body of content-length bytes, then D_HTTP again;
 *   D_WS      after an upgrade: frame headers checked, payloads skipped;
 *   D_OPAQUE  a chunked request body: not followed further (we serve none);
 *   D_SHUT    after a refusal or a broken frame: every byte that arrives is
 *             read and dropped (the socket must not stay readable, or lws
 *             would poll it in a loop) until the peer closes, which goes up
 *             to lws as EOF.
 * A refused request is answered (414/431, connection: close) by the door
 * itself, with the write side shut after it; lws sees none of its bytes and
 * ends the connection at EOF or at its header timeout.  A broken frame is
 * cut off at its first byte: lws gets the frames before it, and the bound
 * session is closed with 1002 (door_violation_fn).
 */
#include "net/door.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sl.h"

enum { D_HTTP, D_BODY, D_WS, D_OPAQUE, D_SHUT };

struct door {
	unsigned char mode;
	void *owner;  /* the WebSocket session, once bound */
	bool pending; /* a frame broke the rules: not reported yet */
	char why[80];

	/* D_HTTP */
	uint32_t line;    /* bytes of the request line so far */
	bool line_done;   /* the request line ended */
	uint32_t head;    /* bytes of the head so far */
	uint32_t cur;     /* bytes of the current line, but CR */
	char hl[48];      /* the current header line's first bytes, lower case */
	uint8_t hln;
	bool upgrade, chunked;
	uint64_t clen;    /* content-length of the request */
	uint64_t left;    /* D_BODY: body bytes left; D_WS: payload bytes left */

	/* D_WS: the frame header being read */
	unsigned char h[14];
	uint8_t hn, need;
};

static struct door **doors;
static size_t ndoors;
static door_violation_fn violation_cb;

#define REPLY(code, text, body)                                                \
	"HTTP/1.1 " code " " text "\r\ncontent-type: text/plain\r\n"           \
	"connection: close\r\ncontent-length: " body "\r\n\r\n"
#define BODY_414 "request line over 8192 bytes\n"
#define BODY_431 "request head over 16384 bytes\n"
static const char reply_414[] = REPLY("414", "URI Too Long", "29") BODY_414;
static const char reply_431[] = REPLY("431", "Request Header Fields Too Large", "30") BODY_431;
_Static_assert(sizeof(BODY_414) - 1 == 29, "414 body length");
_Static_assert(sizeof(BODY_431) - 1 == 30, "431 body length");

void door_init(door_violation_fn on_violation)
{
	violation_cb = on_violation;
}

static void reset_http(struct door *d)
{
	d->mode = D_HTTP;
	d->line = d->head = d->cur = 0;
	d->line_done = d->upgrade = d->chunked = false;
	d->hln = 0;
	d->clen = d->left = 0;
}

void door_accept(int fd)
{
	if (fd < 0)
		return;
	if ((size_t)fd >= ndoors) {
		size_t n = ndoors ? ndoors : 64;
		while (n <= (size_t)fd)
			n *= 2;
		doors = sl_realloc(doors, n * sizeof(*doors));
		memset(doors + ndoors, 0, (n - ndoors) * sizeof(*doors));
		ndoors = n;
	}
	if (!doors[fd])
		doors[fd] = sl_malloc(sizeof(struct door));
	memset(doors[fd], 0, sizeof(struct door));
	reset_http(doors[fd]);
}

static void door_report(struct door *d);

static struct door *door_of(int fd)
{
	return fd >= 0 && (size_t)fd < ndoors ? doors[fd] : NULL;
}

void door_bind(int fd, void *owner)
{
	struct door *d = door_of(fd);

	if (!d)
		return;
	d->owner = owner;
	if (d->mode == D_SHUT)
		door_report(d); /* lws handled what came before: it bound now */
}

void door_unbind(int fd)
{
	struct door *d = door_of(fd);

	if (d)
		d->owner = NULL;
}

void door_free(void)
{
	for (size_t i = 0; i < ndoors; i++)
		free(doors[i]);
	free(doors);
	doors = NULL;
	ndoors = 0;
}

/*
 * A frame broke the rules.  It is reported later (door_report): lws has yet
 * to handle the frames before it, and their replies must go out before the
 * close.
 */
static void broken(struct door *d, const char *why)
{
	d->mode = D_SHUT;
	snprintf(d->why, sizeof(d->why), "%s", why);
	d->pending = true;
}

/* Report a broken frame to the bound session, once. */
static void door_report(struct door *d)
{
	if (d->pending && d->owner && violation_cb) {
		d->pending = false;
		violation_cb(d->owner, d->why);
	}
}

/* A header line ended: note what matters of it. */
static void header_line(struct door *d)
{
	const char *v;

	d->hl[d->hln] = '\0';
	if (!strncmp(d->hl, "upgrade:", 8)) {
		d->upgrade = strstr(d->hl + 8, "websocket") != NULL;
	} else if (!strncmp(d->hl, "transfer-encoding:", 18)) {
		d->chunked = strstr(d->hl + 18, "chunked") != NULL;
	} else if (!strncmp(d->hl, "content-length:", 15)) {
		d->clen = 0;
		for (v = d->hl + 15; *v == ' ' || *v == '\t'; v++)
			;
		for (; *v >= '0' && *v <= '9' && d->clen < (UINT64_MAX - 9) / 10; v++)
			d->clen = d->clen * 10 + (uint64_t)(*v - '0');
	}
}

/* One byte of a request head; returns a reply when the request is refused. */
static const char *http_byte(struct door *d, unsigned char c)
{
	d->head++;
	if (!d->line_done)
		d->line++;
	if (!d->line_done && d->line > DOOR_LINE_MAX)
		return reply_414;
	if (d->head > DOOR_HEAD_MAX)
		return d->line_done ? reply_431 : reply_414;
	if (c == '\r')
		return NULL;
	if (c != '\n') {
		d->cur++;
		if (d->line_done && d->hln < sizeof(d->hl) - 1)
			d->hl[d->hln++] = (char)tolower(c);
		return NULL;
	}
	/* a line ended */
	if (!d->line_done) {
		if (d->cur > 0) /* empty lines before a request are ignored */
			d->line_done = true;
		d->cur = 0;
		return NULL;
	}
	if (d->cur > 0) {
		header_line(d);
		d->cur = 0;
		d->hln = 0;
		return NULL;
	}
	/* the empty line: the head is complete */
	if (d->upgrade) {
		d->mode = D_WS;
		d->hn = 0;
		d->left = 0;
	} else if (d->chunked) {
		d->mode = D_OPAQUE;
	} else if (d->clen > 0) {
		uint64_t len = d->clen;
		reset_http(d);
		d->mode = D_BODY;
		d->left = len;
	} else {
		reset_http(d);
	}
	return NULL;
}

/* One byte of a frame header; false when the frame breaks RFC 6455. */
static bool ws_byte(struct door *d, unsigned char c)
{
	d->h[d->hn++] = c;
	if (d->hn == 2) {
		unsigned len7 = d->h[1] & 0x7f;
		if (!(d->h[1] & 0x80)) {
			broken(d, "unmasked frame from a client (RFC 6455 5.1)");
			return false;
		}
		if ((d->h[0] & 0x08) && len7 > 125) {
			broken(d, "control frame over 125 bytes (RFC 6455 5.5)");
			return false;
		}
		d->need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
	} else if (d->hn == 3 && (d->h[1] & 0x7f) == 127 && (d->h[2] & 0x80)) {
		broken(d, "64-bit frame length with its top bit set (RFC 6455 5.2)");
		return false;
	}
	if (d->hn < 2 || d->hn < d->need)
		return true;
	unsigned len7 = d->h[1] & 0x7f;
	uint64_t len = len7;
	if (len7 == 126) {
		len = (uint64_t)d->h[2] << 8 | d->h[3];
	} else if (len7 == 127) {
		len = 0;
		for (int i = 2; i < 10; i++)
			len = len << 8 | d->h[i];
	}
	d->left = len;
	d->hn = 0;
	return true;
}

size_t door_scan(int fd, const unsigned char *buf, size_t n, const char **reply)
{
	struct door *d = door_of(fd);
	size_t i = 0, fstart = 0;

	*reply = NULL;
	if (!d)
		return n;
	while (i < n) {
		switch (d->mode) {
		case D_HTTP:
			if ((*reply = http_byte(d, buf[i]))) {
				d->mode = D_SHUT;
				return 0;
			}
			i++;
			if (d->mode == D_WS)
				fstart = i;
			break;
		case D_BODY: {
			size_t k = n - i < d->left ? n - i : (size_t)d->left;
			i += k;
			d->left -= k;
			if (d->left == 0)
				reset_http(d);
			break;
		}
		case D_WS:
			if (d->left > 0) {
				size_t k = n - i < d->left ? n - i : (size_t)d->left;
				i += k;
				d->left -= k;
				break;
			}
			if (d->hn == 0)
				fstart = i;
			if (!ws_byte(d, buf[i]))
				return fstart;
			i++;
			break;
		case D_OPAQUE:
			return n;
		default: /* D_SHUT */
			return i;
		}
	}
	return n;
}

/* ---- the recv() that lws calls -------------------------------------------- */

typedef ssize_t (*recv_fn)(int, void *, size_t, int);

static recv_fn real_recv(void)
{
	static recv_fn f;

	if (!f)
		f = (recv_fn)dlsym(RTLD_NEXT, "recv");
	return f;
}

/*
 * The bytes are peeked at first and only those passed on are taken from the
 * socket: the bytes of a broken frame stay in it, so the socket stays
 * readable and lws calls again once it has handled what it got; that call
 * reports the broken frame (every frame before it has been handled, and
 * its replies are queued before the close) and drops the rest.
 */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	struct door *d = door_of(fd);
	recv_fn next = real_recv();
	const char *reply;
	ssize_t r;

	if (!d || (flags & MSG_PEEK) || d->mode == D_OPAQUE)
		return next(fd, buf, len, flags);
	if (d->mode == D_SHUT) {
		door_report(d);
		/* drop what arrives; EOF (or an error) goes up to lws */
		unsigned char scratch[4096];
		while ((r = next(fd, scratch, sizeof(scratch), flags | MSG_DONTWAIT)) > 0)
			;
		if (r == 0)
			return 0;
		return -1; /* errno from recv: EAGAIN, or the connection's error */
	}
	r = next(fd, buf, len, flags | MSG_PEEK);
	if (r <= 0)
		return r;
	size_t keep = door_scan(fd, buf, (size_t)r, &reply);
	if (reply) {
		(void)!send(fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT);
		shutdown(fd, SHUT_WR);
	}
	if (keep == 0) {
		errno = EAGAIN; /* the socket is still readable: lws calls again */
		return -1;
	}
	/* take what was passed on (it is there: it was just peeked at) */
	return next(fd, buf, keep, flags);
}
