/*
 * ytree.c: a YAML document as a small tree (see ytree.h).
 *
 * libyaml's event parser drives a stack of the open maps and sequences;
 * every node remembers the line it starts on.  Scalars keep their text and
 * are typed only when asked (ytree_scalar_type) or packed.
 */
#include "ytree.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "slp.h"

/* ---- the tree ---- */

void ytree_free(ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		ytree_free(n->kids[i]);
	free(n->kids);
	free(n->s);
	free(n);
}

static void ynode_add(ynode *parent, ynode *kid)
{
	SL_GROW(parent->kids, parent->cap, parent->nkids + 1);
	parent->kids[parent->nkids++] = kid;
}

static void __attribute__((format(printf, 5, 6)))
fail(int *eline, char *err, size_t errlen, int line, const char *fmt, ...)
{
	va_list ap;
	*eline = line;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

ynode *ytree_parse(const char *buf, size_t len, int *eline, char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_event_t ev;
	ynode *stack[SLP_MAX_DEPTH + 1];
	int depth = 0;
	ynode *root = NULL;
	bool done = false, bad = false;
	int docs = 0;

	if (!yaml_parser_initialize(&p)) {
		fail(eline, err, errlen, 1, "cannot initialize the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && !bad) {
		if (!yaml_parser_parse(&p, &ev)) {
			fail(eline, err, errlen, (int)p.problem_mark.line + 1, "%s%s%s",
			     p.problem ? p.problem : "malformed YAML", p.context ? " " : "",
			     p.context ? p.context : "");
			bad = true;
			break;
		}
		int line = (int)ev.start_mark.line + 1;
		ynode *n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: done = true; break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				fail(eline, err, errlen, line, "more than one YAML document");
				bad = true;
			}
			break;
		case YAML_ALIAS_EVENT:
			fail(eline, err, errlen, line, "aliases are not supported");
			bad = true;
			break;
		case YAML_SCALAR_EVENT:
			n = sl_calloc(1, sizeof(*n));
			n->kind = YT_SCALAR;
			n->line = line;
			n->s = sl_strndup((const char *)ev.data.scalar.value,
					  ev.data.scalar.length);
			n->n = ev.data.scalar.length;
			n->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
				    (ev.data.scalar.tag &&
				     strcmp((const char *)ev.data.scalar.tag, YAML_STR_TAG) == 0);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= SLP_MAX_DEPTH) {
				fail(eline, err, errlen, line, "nested deeper than %d levels",
				     SLP_MAX_DEPTH);
				bad = true;
				break;
			}
			n = sl_calloc(1, sizeof(*n));
			n->kind = ev.type == YAML_MAPPING_START_EVENT ? YT_MAP : YT_SEQ;
			n->line = line;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default: break;
		}
		if (n) {
			if (depth > 0) {
				ynode_add(stack[depth - 1], n);
			} else if (!root) {
				root = n;
			} else {
				ytree_free(n); /* cannot happen with one document */
				n = NULL;
			}
			if (n && n->kind != YT_SCALAR)
				stack[depth++] = n;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (bad) {
		ytree_free(root);
		return NULL;
	}
	if (!root) {
		fail(eline, err, errlen, 1, "empty file: no YAML document");
		return NULL;
	}
	return root;
}

/* ---- scalar typing ---- */

static bool eq_any(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

/* Past an optional sign and one or more digits; NULL when there is no digit. */
static const char *skip_int(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!isdigit((unsigned char)*s))
		return NULL;
	while (isdigit((unsigned char)*s))
		s++;
	return s;
}

static bool is_int_text(const char *s)
{
	s = skip_int(s);
	return s && *s == '\0';
}

static bool is_float_text(const char *s)
{
	bool digits = false;
	if (*s == '-' || *s == '+')
		s++;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if ((*s == 'e' || *s == 'E') && !(s = skip_int(s + 1)))
		return false;
	return *s == '\0';
}

/* See ytree.h. */
int ytree_scalar_type(const ynode *n, int64_t *iv, double *dv, bool *bv)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", NULL};

	if (n->quoted || n->as_str || strlen(n->s) != n->n)
		return YT_STR;
	if (eq_any(n->s, nulls))
		return YT_NULL;
	if (eq_any(n->s, trues)) {
		*bv = true;
		return YT_BOOL;
	}
	if (eq_any(n->s, falses)) {
		*bv = false;
		return YT_BOOL;
	}
	if (is_int_text(n->s)) {
		errno = 0;
		long long v = strtoll(n->s, NULL, 10);
		if (errno == 0) {
			*iv = v;
			return YT_INT;
		}
		*dv = strtod(n->s, NULL);
		return YT_FLOAT;
	}
	if (is_float_text(n->s)) {
		*dv = strtod(n->s, NULL);
		if (isfinite(*dv))
			return YT_FLOAT;
	}
	return YT_STR;
}

/* ---- packing ---- */

static void pack(msgpack_packer *pk, const ynode *n, bool key)
{
	int64_t iv;
	double dv;
	bool bv;
	switch (n->kind) {
	case YT_MAP:
		msgpack_pack_map(pk, n->nkids / 2);
		for (size_t i = 0; i + 1 < n->nkids; i += 2) {
			pack(pk, n->kids[i], true);
			pack(pk, n->kids[i + 1], false);
		}
		return;
	case YT_SEQ:
		msgpack_pack_array(pk, n->nkids);
		for (size_t i = 0; i < n->nkids; i++)
			pack(pk, n->kids[i], false);
		return;
	}
	switch (key ? YT_STR : ytree_scalar_type(n, &iv, &dv, &bv)) {
	case YT_NULL: msgpack_pack_nil(pk); break;
	case YT_BOOL:
		if (bv)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case YT_INT:
		if (iv < 0)
			msgpack_pack_int64(pk, iv);
		else
			msgpack_pack_uint64(pk, (uint64_t)iv);
		break;
	case YT_FLOAT: msgpack_pack_double(pk, dv); break;
	default: slp_pack_strn(pk, n->s, n->n); break;
	}
}

void ytree_pack(msgpack_packer *pk, const ynode *root)
{
	pack(pk, root, false);
}
