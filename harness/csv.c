/*
 * Reading pagegate's CSV files (see csv.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "csv.h"

static size_t split(char *line, char ***out)
{
	size_t n = 1, i = 0;
	char **fields;

	line[strcspn(line, "\r\n")] = 0;
	for (char *p = line; *p; p++)
		n += *p == ',';
	fields = malloc(n * sizeof(*fields));
	for (char *tok = line, *next; tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = 0;
		fields[i++] = strdup(tok);
	}
	*out = fields;
	return n;
}

static void free_fields(char **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i]);
	free(f);
}

struct csv *csv_read(const char *path, char *err, size_t cap)
{
	FILE *f = fopen(path, "r");
	struct csv *t;
	char *line = NULL;
	size_t len = 0, lineno = 1;

	if (!f) {
		snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (getline(&line, &len, f) < 0) {
		snprintf(err, cap, "%s is empty", path);
		free(t);
		fclose(f);
		free(line);
		return NULL;
	}
	t->ncols = split(line, &t->names);
	while (getline(&line, &len, f) >= 0) {
		char **fields;
		size_t n;

		lineno++;
		if (line[0] == '\n')
			continue;
		n = split(line, &fields);
		if (n != t->ncols) {
			snprintf(err, cap, "%s:%zu: %zu fields, the header has %zu", path, lineno, n, t->ncols);
			free_fields(fields, n);
			csv_free(t);
			t = NULL;
			break;
		}
		t->rows = realloc(t->rows, (t->nrows + 1) * sizeof(*t->rows));
		t->rows[t->nrows++] = fields;
	}
	free(line);
	fclose(f);
	return t;
}

void csv_free(struct csv *t)
{
	if (!t)
		return;
	for (size_t r = 0; r < t->nrows; r++)
		free_fields(t->rows[r], t->ncols);
	free(t->rows);
	free_fields(t->names, t->ncols);
	free(t);
}

int csv_col(const struct csv *t, const char *name)
{
	for (size_t c = 0; c < t->ncols; c++)
		if (!strcmp(t->names[c], name))
			return (int)c;
	return -1;
}

const char *csv_get(const struct csv *t, size_t r, const char *name)
{
	int c = csv_col(t, name);

	return c < 0 ? "" : t->rows[r][c];
}

double csv_num(const struct csv *t, size_t r, const char *name)
{
	const char *cell = csv_get(t, r, name);

	return cell[0] ? strtod(cell, NULL) : NAN;
}
