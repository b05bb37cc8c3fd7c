/*
 * ytree.h: a YAML document (one, of plain maps, sequences and scalars) read
 * into a small tree whose nodes remember their line, so that whoever
 * checks it can say "race.yaml:12: ...".  Anchors and aliases are refused
 * (no alias bombs), and so are documents deeper than SLP_MAX_DEPTH.
 *
 * Scalars are typed the YAML 1.2 core way: plain 12 is an integer, 1.5 a
 * float, true/false booleans, null/~/empty nil; a quoted scalar (or one
 * marked as_str) is always a string.  ytree_pack() writes the tree as
 * msgpack with those types (map keys always strings).
 *
 * Ownership: ytree_parse returns an owned tree (ytree_free); a node owns
 * its text and its kids.
 */
#ifndef SL_YTREE_H
#define SL_YTREE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { YT_SCALAR, YT_MAP, YT_SEQ };                  /* ynode.kind */
enum { YT_NULL, YT_BOOL, YT_INT, YT_FLOAT, YT_STR }; /* scalar types */

typedef struct ynode {
	int kind;
	int line;     /* 1-based */
	bool quoted;  /* scalar not plain: always a string */
	bool as_str;  /* pack as string whatever it looks like */
	char *s;      /* scalar text (NUL-terminated) */
	size_t n;     /* scalar length */
	size_t nkids; /* map: 2 * pairs (key, value, key, value...) */
	size_t cap;
	struct ynode **kids;
} ynode;

/* The tree of buf, or NULL with the problem in err and its line in *line. */
ynode *ytree_parse(const char *buf, size_t len, int *line, char *err, size_t errlen);
void ytree_free(ynode *n);
/* Type of a scalar node (YT_NULL...); *iv / *dv / *bv get the value. */
int ytree_scalar_type(const ynode *n, int64_t *iv, double *dv, bool *bv);
void ytree_pack(msgpack_packer *pk, const ynode *root);

#endif
