/*
 * cliutil.c: option parsing, settings and session opening for the tools.
 */
#include "cliutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int slc_parse(int argc, char **argv, const slc_opt *opts, const char **pos, int maxpos,
	      int *npos, const char *prog)
{
	bool only_pos = false;
	*npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (!only_pos && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0))
			return SLC_HELP;
		if (only_pos || a[0] != '-' || a[1] == '\0') {
			if (*npos >= maxpos) {
				fprintf(stderr, "%s: unexpected argument '%s'\n", prog, a);
				return SLC_USAGE;
			}
			pos[(*npos)++] = a;
			continue;
		}
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		const slc_opt *o = NULL;
		for (const slc_opt *p = opts; p->name; p++)
			if (strlen(p->name) == n && strncmp(p->name, a, n) == 0)
				o = p;
		if (!o) {
			fprintf(stderr, "%s: unknown option '%.*s'\n", prog, (int)n, a);
			return SLC_USAGE;
		}
		if (!o->arg) {
			if (eq) {
				fprintf(stderr, "%s: option '%s' takes no value\n", prog, o->name);
				return SLC_USAGE;
			}
			*o->flag = true;
			continue;
		}
		if (eq) {
			*o->val = eq + 1;
		} else if (i + 1 < argc) {
			*o->val = argv[++i];
		} else {
			fprintf(stderr, "%s: option '%s' needs a value\n", prog, o->name);
			return SLC_USAGE;
		}
	}
	return SLC_OK;
}

void slc_log_init(const char *prog, int level)
{
	const char *dbg = getenv("SPLITLINE_DEBUG");
	sl_log_set_prefix(prog);
	sl_log_level = dbg && *dbg && strcmp(dbg, "0") != 0 ? SL_LOG_DEBUG : level;
}

int slc_conn_resolve(slc_conn *c, char *err, size_t errlen)
{
	if (!c->server)
		c->server = getenv("SPLITLINE_SERVER");
	if (!c->server || !*c->server)
		c->server = "ws://127.0.0.1:8080/ws";
	if (!c->event)
		c->event = getenv("SPLITLINE_EVENT");
	if (c->event && !*c->event)
		c->event = NULL;
	if (!c->token && !c->token_file) {
		c->token = getenv("SPLITLINE_TOKEN");
		if (c->token && !*c->token)
			c->token = NULL;
		if (!c->token)
			c->token_file = getenv("SPLITLINE_TOKEN_FILE");
		if (c->token_file && !*c->token_file)
			c->token_file = NULL;
	}
	if (!c->token && c->token_file) {
		FILE *f = fopen(c->token_file, "r");
		if (!f) {
			snprintf(err, errlen, "cannot open '%s': %s", c->token_file,
				 strerror(errno));
			return SL_EIO;
		}
		char line[512] = "";
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strlen(p);
		while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' ' ||
			     p[n - 1] == '\t'))
			p[--n] = '\0';
		if (!n) {
			snprintf(err, errlen, "token file '%s' is empty", c->token_file);
			return SL_EIO;
		}
		c->token_owned = sl_strdup(p);
		c->token = c->token_owned;
	}
	return 0;
}

void slc_conn_release(slc_conn *c)
{
	free(c->token_owned);
	c->token_owned = NULL;
}

int slc_open(const slc_conn *c, wsc **out, slp_msg *hello, int timeout_ms, char *err,
	     size_t errlen)
{
	memset(hello, 0, sizeof(*hello));
	int rc = wsc_connect(out, c->server, WSC_SUBPROTOCOL, timeout_ms, err, errlen);
	if (rc)
		return rc;
	char why[256];
	rc = wsc_hello(*out, c->event, c->token, timeout_ms, hello, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "hello to '%s' for event '%s': %s", c->server, c->event,
			 why);
		slp_msg_release(hello);
		memset(hello, 0, sizeof(*hello));
		wsc_free(*out);
		*out = NULL;
	}
	return rc;
}
