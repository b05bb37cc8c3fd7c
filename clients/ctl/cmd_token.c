/*
 * splitline token issue / revoke: an admin asks the server for a token
 * (printed alone on stdout: the server keeps only its hash) or revokes one.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

const char usage_token[] =
	"usage: splitline token issue --role ROLE [--device ID] [--point PT]\n"
	"       splitline token revoke TOKEN\n"
	"\n"
	"issue: asks the server for a new token with the role (and its device id)\n"
	"and prints it alone on stdout; the server keeps only its hash, so it cannot\n"
	"be shown again.  A token writes as its device only.  revoke: the token\n"
	"stops writing at once, on every node.  Both need an admin token.\n"
	"\n"
	"  --role ROLE    admin, official, reader (timing device), desk (check-in\n"
	"                 desk) or scanner (handheld)\n"
	"  --device ID    the device the token writes as: required for reader, desk\n"
	"                 and scanner; an official or admin token without one writes\n"
	"                 as official-<hash>/admin-<hash>, numbered by the server\n"
	"  --point PT     scanner only: the one timing point it may send passings at\n"
	"                 (without it, a scanner sends check-ins only)\n";

int cmd_token(int argc, char **argv)
{
	const char *role = NULL, *device = NULL, *point = NULL;
	const char *pos[2];
	int npos, ec;
	slc_opt opts[] = {CTL_GLOBAL_OPTS, CTL_OPT("--role", role), CTL_OPT("--device", device),
			  CTL_OPT("--point", point), CTL_END};
	if (ctl_parse(argc, argv, opts, pos, 2, &npos, usage_token, &ec))
		return ec;
	bool issue = npos == 1 && strcmp(pos[0], "issue") == 0;
	bool revoke = npos == 2 && strcmp(pos[0], "revoke") == 0;
	if (!issue && !revoke)
		return ctl_usage_error(usage_token);
	if (issue && (!role || (strcmp(role, "admin") && strcmp(role, "official") &&
				strcmp(role, "reader") && strcmp(role, "desk") &&
				strcmp(role, "scanner")))) {
		fprintf(stderr,
			"%s: token issue needs --role admin, official, reader, desk or scanner\n",
			ctl_prog);
		return 2;
	}
	if (issue && point && strcmp(role, "scanner") != 0) {
		fprintf(stderr, "%s: --point is for --role scanner only\n", ctl_prog);
		return 2;
	}
	if (revoke && (role || device || point))
		return ctl_usage_error(usage_token);
	struct ctl_session ss;
	int rc = ctl_session_open(&ss);
	if (rc)
		return rc;
	msgpack_packer pk;
	uint64_t id;
	if (issue) {
		ctl_req_begin(&pk, &ss.b, ss.c, "token_issue", 1 + !!device + !!point, &id);
		slp_pack_kv_str(&pk, "role", role);
		slp_pack_kv_str_opt(&pk, "device", device);
		slp_pack_kv_str_opt(&pk, "point", point);
	} else {
		ctl_req_begin(&pk, &ss.b, ss.c, "token_revoke", 1, &id);
		slp_pack_kv_str(&pk, "token", pos[1]);
	}
	rc = ctl_rpc(ss.c, &ss.b, id, &ss.reply, issue ? "token issue" : "token revoke");
	if (!rc && issue) {
		const char *tok;
		size_t n;
		if (slp_get_str(&ss.reply.root, "token", &tok, &n) == 0) {
			printf("%.*s\n", (int)n, tok);
		} else {
			fprintf(stderr, "%s: token issue: the reply has no token\n", ctl_prog);
			rc = 1;
		}
	} else if (!rc) {
		printf("token revoked\n");
	}
	ctl_session_end(&ss);
	return rc;
}
