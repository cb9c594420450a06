/*
 * The cost model: time = fixed + per-doorbell + per-page + per-byte (+ per-fault) cost,
 * fitted per transport configuration by least squares from a bench dataset; for the ring
 * the same terms per request (time per request = window / requests: per request + per
 * page translated + per byte).  Used to say which term dominates at a size, to predict
 * Table 7.1 and to solve the inverse problem — what per-exit and per-page costs the
 * thesis's own numbers imply (`pagegate model DIR`).
 */
#ifndef PG_MODEL_H
#define PG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "csv.h"

/* Least squares y ~ X c for n rows of k columns (row-major).  Columns that are (nearly) a
 * linear combination of earlier ones, or all zero, cannot be separated: used[j] = false
 * and c[j] = 0.  se (NULL: not wanted) gets each used coefficient's standard error from
 * the residuals (NAN without a row to spare; 0 for unused ones).  Returns R^2 (1 -
 * SSres/SStot; 1 when y is constant and fitted).  k <= 8. */
double model_fit(const double *X, size_t n, size_t k, const double *y, double *c, bool *used, double *se);

enum model_term { MODEL_FIXED, MODEL_DOORBELL, MODEL_PAGE, MODEL_BYTE, MODEL_FAULT, MODEL_NTERMS };
#define MODEL_MAX_SIZES 128 /* bench's most sizes in one sweep */

/* One configuration's fit over its sizes (rows with the same label and facet).  The terms
 * are per transfer, or for the ring per request: counts / requests, bytes per request,
 * time = total_ns / requests (a stream's window, so a throughput cost at its qd). */
struct model_group {
	char key[160], label[32], direction[8], fault[8], page_size[8];
	bool per_request; /* the ring */
	size_t n;         /* repetitions fitted (status 0) */
	size_t nsizes;    /* distinct sizes, ascending; x: each one's mean terms */
	double size[MODEL_MAX_SIZES], x[MODEL_MAX_SIZES][MODEL_NTERMS];
	double c[MODEL_NTERMS], se[MODEL_NTERMS]; /* ns per unit of the term */
	/* present: some row has the term; used: fitted; dropped: its coefficient was within
	 * two standard errors of 0, so it was left out and the rest refitted; present, not
	 * used, not dropped: it moves with earlier terms and is folded into them */
	bool present[MODEL_NTERMS], used[MODEL_NTERMS], dropped[MODEL_NTERMS];
	/* Invariant: separable == (nsizes > terms the first fit used, before any was dropped,
	 * and mixed < 0): every coefficient has a size to spare (repetitions at one size only
	 * measure noise, they do not separate terms), and no term moves with a mix of several
	 * others (mixed: that term, else -1), which would make their split arbitrary.  When
	 * false, c, se, r2 and rms_rel are not printed. */
	bool separable;
	int mixed;
	double r2, rms_rel; /* of the fit on relative error; rms_rel: its typical error */
	double count_a[MODEL_NTERMS], count_b[MODEL_NTERMS]; /* a term at an unmeasured size:
								a + b x ceil(size / 4 KiB) */
};

/* The groups of a results.csv table (status-0 rows), each fitted, in order of first
 * appearance; *out is allocated (free it); how many. */
size_t model_groups(const struct csv *results, struct model_group **out);
/* A size outside the sizes the group measured. */
bool model_extrapolated(const struct model_group *g, double bytes);
/* Predicted time (ns per transfer, per request for the ring) of `bytes`, and each term's
 * part of it in part[] (NULL: not wanted).  The terms' counts are those measured at that
 * size, else count_a + count_b x ceil(bytes / 4096). */
double model_predict(const struct model_group *g, double bytes, double part[MODEL_NTERMS]);
/* The term's name in this group ("per request" is the ring's fixed term). */
const char *model_term_name(const struct model_group *g, int term);
/* "at 64 B basic(kvm) ...: per doorbell 97 % of 12.3 us (fixed 2 %, per byte 1 %)", marked
 * when extrapolated; or why the group cannot say.  The dominant term (largest part), or
 * -1 when the fit cannot separate its terms. */
int model_dominant_line(const struct model_group *g, double bytes, char *out, size_t cap);

/* The report on dir/results.csv to out; 0, or 2 if it cannot be read. */
int model_report(const char *dir, FILE *out);

#endif
