/*
 * input.c: the input thread of splitline-scan (main.c has the design):
 * it only reads stdin and stamps each line with the time its read(2)
 * returned; the main loop takes every line queued so far in one turn.
 * Owns IN; touches nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scan.h"

static const char *prog = "splitline-scan";

static struct {
	pthread_mutex_t mu;
	struct line *q;
	size_t n, cap;
	bool eof;
	int err;     /* errno of a failed read */
	int wake[2]; /* a byte per push: wakes the main loop's poll */
	pthread_t th;
} IN = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void in_push(int64_t t, const char *s, size_t n, bool toolong)
{
	SL_GROW(IN.q, IN.cap, IN.n + 1);
	IN.q[IN.n++] = (struct line){t, sl_strndup(s, n), toolong};
}

/*
 * Read stdin until EOF.  Lines end at LF, CR or CR LF; a line over
 * MAX_LINE characters is queued as toolong (its text cut).  Touches only
 * IN (under IN.mu).
 */
static void *input_main(void *arg)
{
	static char line[MAX_LINE + 1];
	char buf[4096];
	size_t ll = 0;
	bool toolong = false, cr = false;
	(void)arg;
	for (;;) {
		ssize_t r = read(0, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		int64_t t = sl_now_ms();
		pthread_mutex_lock(&IN.mu);
		if (r <= 0) {
			if (r < 0)
				IN.err = errno;
			if (ll > 0 || toolong)
				in_push(t, line, ll, toolong);
			IN.eof = true;
		}
		for (ssize_t i = 0; i < r; i++) {
			char ch = buf[i];
			bool was_cr = cr;
			cr = ch == '\r';
			if (ch == '\n' && was_cr)
				continue;
			if (ch == '\n' || ch == '\r') {
				in_push(t, line, ll, toolong);
				ll = 0;
				toolong = false;
			} else if (ll < MAX_LINE) {
				line[ll++] = ch;
			} else {
				toolong = true;
			}
		}
		pthread_mutex_unlock(&IN.mu);
		if (write(IN.wake[1], "", 1) < 0) {
			/* the pipe is full: the main loop has a wake-up coming */
		}
		if (r <= 0)
			return NULL;
	}
}

int scan__input_start(void)
{
	if (pipe(IN.wake) < 0 || fcntl(IN.wake[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(IN.wake[1], F_SETFL, O_NONBLOCK) < 0 ||
	    pthread_create(&IN.th, NULL, input_main, NULL) != 0) {
		fprintf(stderr, "%s: cannot start the input thread: %s\n", prog, strerror(errno));
		return -1;
	}
	return 0;
}

/* Take every line queued so far (owned by the caller); *eof once at EOF. */
struct line *scan__input_take(size_t *n, bool *eof)
{
	char tmp[256];
	while (read(IN.wake[0], tmp, sizeof(tmp)) > 0)
		;
	pthread_mutex_lock(&IN.mu);
	struct line *q = IN.q;
	*n = IN.n;
	*eof = IN.eof;
	if (IN.eof && IN.err) {
		fprintf(stderr, "%s: cannot read stdin: %s\n", prog, strerror(IN.err));
		IN.err = 0;
	}
	IN.q = NULL;
	IN.n = IN.cap = 0;
	pthread_mutex_unlock(&IN.mu);
	return q;
}


int scan__input_fd(void)
{
	return IN.wake[0];
}

void scan__input_join(void)
{
	pthread_join(IN.th, NULL);
}
