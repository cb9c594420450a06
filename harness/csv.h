/*
 * The little CSV pagegate needs: its own files have a header line, comma-separated
 * fields and no quoting (values never contain commas or newlines).  A table is read
 * whole; fields are looked up by column name.
 */
#ifndef PG_CSV_H
#define PG_CSV_H

#include <stddef.h>

struct csv {
	char **names;  /* header */
	size_t ncols;
	char ***rows;  /* rows[r][c] */
	size_t nrows;
};

/* Read path; NULL with a message in err (cap bytes) if it cannot be read or a row has
 * the wrong number of fields. */
struct csv *csv_read(const char *path, char *err, size_t cap);
void csv_free(struct csv *t);
/* Column index of name, or -1. */
int csv_col(const struct csv *t, const char *name);
/* Field of row r in the named column ("" if there is no such column). */
const char *csv_get(const struct csv *t, size_t r, const char *name);
/* A cell as a number; NAN when the cell is empty (a time not measured) or missing. */
double csv_num(const struct csv *t, size_t r, const char *name);

#endif
