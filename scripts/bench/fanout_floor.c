/*
 * fanout_floor.c: the floor of WebSocket fan-out on this machine, for the
 * fan-out bench (scripts/bench/fanout drives it).
 *
 *   fanout_floor PORT RATE SIZE
 *
 * A libuv server that answers any upgrade request without checking it and,
 * once it gets SIGUSR2, builds one text frame of SIZE payload bytes RATE
 * times a second (on an absolute schedule) (a JSON object with a sequence number, padded) and writes
 * that same frame to every upgraded client with one uv_try_write each: no
 * framing per client, no queue, no protocol.  A client whose socket is full
 * misses the frame.  What a real server spends above this per delivered
 * frame is its own.  It reads and drops what clients send after the upgrade.
 *
 * Connections are a doubly linked list; a connection is freed in its close
 * callback.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct conn {
	uv_tcp_t tcp;
	int up;
	int crlf; /* how much of "\r\n\r\n" the request has ended with so far */
	struct conn *next, *prev;
};

static struct conn head = {.next = &head, .prev = &head};
static uv_loop_t *loop;
static uv_tcp_t srv;
static uv_timer_t timer;
static uv_signal_t sig_go;
static double rate;
static int size;
static uint64_t t_go; /* uv_now() at SIGUSR2: tick k is due at t_go + k / rate */
static unsigned long long seq;
static char rdbuf[65536];

static void on_close(uv_handle_t *h)
{
	struct conn *c = h->data;

	c->prev->next = c->next;
	c->next->prev = c->prev;
	free(c);
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	*b = uv_buf_init(rdbuf, sizeof rdbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				   "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n";
	static const char end[] = "\r\n\r\n";
	struct conn *c = s->data;

	if (n < 0) {
		uv_close((uv_handle_t *)s, on_close);
		return;
	}
	for (ssize_t i = 0; i < n && !c->up; i++) {
		c->crlf = b->base[i] == end[c->crlf] ? c->crlf + 1 : b->base[i] == '\r';
		if (c->crlf == 4) {
			uv_buf_t rb = uv_buf_init((char *)resp, sizeof resp - 1);
			uv_try_write(s, &rb, 1);
			c->up = 1;
		}
	}
}

static void on_conn(uv_stream_t *s, int st)
{
	struct conn *c;

	if (st < 0)
		return;
	c = calloc(1, sizeof *c);
	if (!c)
		abort();
	uv_tcp_init(loop, &c->tcp);
	c->tcp.data = c;
	c->next = head.next;
	c->prev = &head;
	head.next->prev = c;
	head.next = c;
	if (uv_accept(s, (uv_stream_t *)&c->tcp) == 0)
		uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	else
		uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void on_tick(uv_timer_t *t)
{
	static char frame[4 + 65536];
	size_t h = 0;
	int bl;
	char *body;

	frame[h++] = (char)0x81;
	if (size < 126) {
		frame[h++] = (char)size;
	} else {
		frame[h++] = 126;
		frame[h++] = (char)(size >> 8);
		frame[h++] = (char)(size & 255);
	}
	body = frame + h;
	bl = snprintf(body, (size_t)size + 1, "{\"t\":\"delta\",\"seq\":%llu,\"pad\":\"", ++seq);
	while (bl < size - 2)
		body[bl++] = 'x';
	body[bl++] = '"';
	body[bl++] = '}';
	uv_buf_t b = uv_buf_init(frame, (unsigned)(h + (size_t)size));
	for (struct conn *c = head.next; c != &head; c = c->next)
		if (c->up)
			uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
	/* the next tick on the absolute schedule, so that a late tick does not
	 * lower the rate */
	uint64_t due = t_go + (uint64_t)((double)seq * 1000.0 / rate), now = uv_now(loop);
	uv_timer_start(t, on_tick, due > now ? due - now : 0, 0);
}

static void on_go(uv_signal_t *s, int signum)
{
	t_go = uv_now(loop);
	uv_timer_start(&timer, on_tick, 0, 0);
	uv_signal_stop(s);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	int port, r;

	if (argc != 4) {
		fprintf(stderr, "usage: fanout_floor PORT RATE SIZE\n");
		return 2;
	}
	port = atoi(argv[1]);
	rate = atof(argv[2]);
	size = atoi(argv[3]);
	if (port <= 0 || port > 65535 || !(rate > 0 && rate <= 1000) || size < 40 ||
	    size > 65535) {
		fprintf(stderr, "fanout_floor: PORT 1..65535, RATE (0, 1000], SIZE 40..65535\n");
		return 2;
	}
	loop = uv_default_loop();
	uv_timer_init(loop, &timer);
	uv_signal_init(loop, &sig_go);
	uv_signal_start(&sig_go, on_go, SIGUSR2);
	uv_tcp_init(loop, &srv);
	uv_ip4_addr("127.0.0.1", port, &a);
	if ((r = uv_tcp_bind(&srv, (struct sockaddr *)&a, 0)) < 0 ||
	    (r = uv_listen((uv_stream_t *)&srv, 4096, on_conn)) < 0) {
		fprintf(stderr, "fanout_floor: cannot listen on port %d: %s\n", port,
			uv_strerror(r));
		return 1;
	}
	printf("fanout_floor listening on %d\n", port);
	fflush(stdout);
	return uv_run(loop, UV_RUN_DEFAULT);
}
