/*
 * fuzz_door.c: libFuzzer driver for the front door's scanner
 * (server/net/door.c): the bytes a client sends, HTTP request heads and
 * WebSocket frames, cut into reads at places the input chooses.
 *
 * The first two bytes pick the read sizes (a cycle of 1..256 bytes); the
 * rest is the stream.  Besides memory errors and undefined behaviour it
 * traps when a promise of the scanner is broken:
 *   - it passes on at most what was read, and after it refused a request or
 *     a frame it passes on nothing more;
 *   - where the stream is cut into reads changes nothing: it stops (or not)
 *     with the same refusal as the stream read in one go, and a stream it
 *     does not stop is passed on whole either way.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/door.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

static size_t scan_all(int fd, const uint8_t *p, size_t n, size_t step_a, size_t step_b,
		       const char **reply, bool *stop)
{
	size_t off = 0, passed = 0;
	bool stopped = false;
	int turn = 0;

	door_accept(fd);
	*reply = NULL;
	while (off < n) {
		size_t k = turn++ % 2 ? step_b : step_a;
		if (k > n - off)
			k = n - off;
		const char *r = NULL;
		size_t keep = door_scan(fd, p + off, k, &r);
		CHECK(keep <= k);
		if (stopped)
			CHECK(keep == 0 && !r);
		if (r)
			*reply = r;
		if (!stopped)
			passed += keep;
		if (keep < k || r)
			stopped = true;
		off += k;
	}
	*stop = stopped;
	return passed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t a = (size_t)data[0] + 1, b = (size_t)data[1] + 1;
	const char *r1, *r2;
	bool s1, s2;
	size_t whole = scan_all(3, data + 2, size - 2, size, size, &r1, &s1);
	size_t cut = scan_all(3, data + 2, size - 2, a, b, &r2, &s2);
	CHECK(r1 == r2 && s1 == s2);
	if (!s1)
		CHECK(whole == size - 2 && cut == size - 2);
	return 0;
}
