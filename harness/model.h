/*
 * The cost model: time = fixed + per-doorbell + per-page + per-byte (+ per-fault) cost,
 * fitted per transport configuration by least squares from a bench dataset, used to
 * predict Table 7.1 and to solve the inverse problem — what per-exit and per-page costs
 * the thesis's own numbers imply (`pagegate model DIR`).
 */
#ifndef PG_MODEL_H
#define PG_MODEL_H

#include <stdbool.h>
#include <stddef.h>

/* Least squares y ~ X c for n rows of k columns (row-major).  Columns that are (nearly) a
 * linear combination of earlier ones, or all zero, cannot be separated: used[j] = false
 * and c[j] = 0.  Returns R^2 (1 - SSres/SStot; 1 when y is constant and fitted).  k <= 8. */
double model_fit(const double *X, size_t n, size_t k, const double *y, double *c, bool *used);

int model_main(const char *dir);

#endif
