/*
 * t_redis.h: what the unit tests that start their own redis-servers share
 * (test_redis.c, test_cluster.c): a free loopback port, and which binaries.
 */
#ifndef T_REDIS_H
#define T_REDIS_H

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* $env if set and not empty, else def. */
static inline const char *t_bin(const char *env, const char *def)
{
	const char *e = getenv(env);
	return e && *e ? e : def;
}

/* The redis-server to start: $SL_REDIS_SERVER, else Debian's. */
static inline const char *t_redis_server(void)
{
	return t_bin("SL_REDIS_SERVER", "/usr/bin/redis-server");
}

/* A loopback TCP port free now (the kernel's pick). */
static inline int t_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

#endif
