/*
 * The cost model (see model.h).  Fitting is modified Gram-Schmidt on the columns with
 * dependent columns dropped, then back substitution, with standard errors from the
 * residuals; a configuration whose terms move together (basic: one doorbell per page;
 * cold: one fault per page) gets the joint cost on the first of them and says so, one
 * whose sizes cannot tell its terms apart says that instead of numbers, and a term within
 * two standard errors of 0 is dropped.  The ring's rows are fitted per request.  For each
 * configuration the report names the dominant term at 64 B, 64 KiB and 4 MiB.  The
 * account of Table 7.1 compares the per-page cost the thesis's numbers imply, relative to
 * its per-exit cost, with the same ratio for each per-page cost measured here.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "csv.h"
#include "dataset.h"
#include "model.h"

#define K_MAX 8

/* Modified Gram-Schmidt on the columns of X into q (n x k) and r (k x k), with qty = q'y;
 * a column with less than 1 % of its norm new (or none) is not separable: used[j] false,
 * its q column and r row zero. */
static void gram_schmidt(const double *X, size_t n, size_t k, const double *y, double *q, double r[K_MAX][K_MAX],
			 double *qty, bool *used)
{
	for (size_t j = 0; j < k; j++) {
		double norm0 = 0, norm = 0;

		for (size_t i = 0; i < n; i++) {
			q[i * k + j] = X[i * k + j];
			norm0 += X[i * k + j] * X[i * k + j];
		}
		for (size_t p = 0; p < j; p++) {
			double dot = 0;

			if (!used[p])
				continue;
			for (size_t i = 0; i < n; i++)
				dot += q[i * k + p] * q[i * k + j];
			r[p][j] = dot;
			for (size_t i = 0; i < n; i++)
				q[i * k + j] -= dot * q[i * k + p];
		}
		for (size_t i = 0; i < n; i++)
			norm += q[i * k + j] * q[i * k + j];
		used[j] = norm0 > 0 && norm > 1e-4 * norm0; /* less than 1% of it is new: not separable */
		r[j][j] = used[j] ? sqrt(norm) : 0;
		for (size_t i = 0; used[j] && i < n; i++)
			q[i * k + j] /= r[j][j];
		for (size_t i = 0; used[j] && i < n; i++)
			qty[j] += q[i * k + j] * y[i];
	}
}

/* Solve r c = b over the used rows and columns (r upper triangular, its used diagonal
 * positive); c[j] = 0 where unused. */
static void back_substitute(const double r[K_MAX][K_MAX], const double *b, const bool *used, size_t k, double *c)
{
	for (size_t j = k; j-- > 0;) {
		double s = b[j];

		c[j] = 0;
		if (!used[j])
			continue;
		for (size_t p = j + 1; p < k; p++)
			s -= r[j][p] * c[p];
		c[j] = s / r[j][j];
	}
}

/* se[j] = sqrt(sigma2 x ((r'r)^-1)[j][j]) = sqrt(sigma2) x |row j of r^-1|; 0 if unused. */
static void standard_errors(const double r[K_MAX][K_MAX], const bool *used, size_t k, double sigma2, double *se)
{
	double inv[K_MAX][K_MAX] = { { 0 } }, e[K_MAX], z[K_MAX];

	for (size_t m = 0; m < k; m++) {
		memset(e, 0, sizeof(e));
		e[m] = 1;
		back_substitute(r, e, used, k, z);
		for (size_t j = 0; j < k; j++)
			inv[j][m] = z[j];
	}
	for (size_t j = 0; j < k; j++) {
		double sum = 0;

		for (size_t m = 0; m < k; m++)
			sum += inv[j][m] * inv[j][m];
		se[j] = used[j] ? sqrt(sigma2 * sum) : 0;
	}
}

double model_fit(const double *X, size_t n, size_t k, const double *y, double *c, bool *used, double *se)
{
	double *q = calloc(n * k, sizeof(*q)), r[K_MAX][K_MAX] = { { 0 } }, qty[K_MAX] = { 0 };
	double mean = 0, ss_tot = 0, ss_res = 0;
	size_t nused = 0;

	assert(k <= K_MAX && q);
	gram_schmidt(X, n, k, y, q, r, qty, used);
	back_substitute(r, qty, used, k, c);
	for (size_t i = 0; i < n; i++)
		mean += y[i] / (double)n;
	for (size_t i = 0; i < n; i++) {
		double fit = 0;

		for (size_t j = 0; j < k; j++)
			fit += X[i * k + j] * c[j];
		ss_res += (y[i] - fit) * (y[i] - fit);
		ss_tot += (y[i] - mean) * (y[i] - mean);
	}
	for (size_t j = 0; j < k; j++)
		nused += used[j];
	if (se)
		standard_errors(r, used, k, n > nused ? ss_res / (double)(n - nused) : NAN, se);
	free(q);
	return ss_tot > 0 ? 1 - ss_res / ss_tot : (ss_res < 1e-9 ? 1 : 0);
}

static double dot(const double *c, const double *x)
{
	double s = 0;

	for (size_t j = 0; j < MODEL_NTERMS; j++)
		s += c[j] * x[j];
	return s;
}

/* The row label and its facet: the rows a fit is made over differ only in size. */
static void row_key(const struct csv *t, size_t r, char *out, size_t cap)
{
	size_t len = (size_t)snprintf(out, cap, "%s", csv_get(t, r, "label"));

	for (size_t i = 0; i < DATASET_NFACETS && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, " %s", csv_get(t, r, dataset_facet_cols[i]));
}

/* Row r's terms (per request: a doorbell transfer is one request) and its time per
 * request; false if the repetition failed or a number is missing. */
static bool row_terms(const struct csv *t, size_t r, double x[MODEL_NTERMS], double *y)
{
	static const char *const count_cols[MODEL_NTERMS] = { NULL, "doorbells", "pages_translated", NULL, "faults" };
	double requests = csv_num(t, r, "requests");
	bool ok = !strcmp(csv_get(t, r, "status"), "0");

	if (!(requests >= 1)) /* schema < 4: no requests column, one transfer per row */
		requests = 1;
	for (size_t j = 0; j < MODEL_NTERMS; j++) {
		x[j] = j == MODEL_FIXED ? 1 : j == MODEL_BYTE ? csv_num(t, r, "bytes") : csv_num(t, r, count_cols[j]) / requests;
		ok &= isfinite(x[j]) && x[j] >= 0;
	}
	*y = csv_num(t, r, "total_ns") / requests;
	return ok && isfinite(*y) && *y > 0;
}

/* Add one repetition's terms to the group's table of sizes (kept ascending; sums in x,
 * repetitions in reps, made means by the caller); false if the table is full. */
static bool add_size(struct model_group *g, size_t *reps, const double x[MODEL_NTERMS])
{
	size_t i = 0;

	while (i < g->nsizes && g->size[i] < x[MODEL_BYTE])
		i++;
	if (i == g->nsizes || g->size[i] != x[MODEL_BYTE]) {
		if (g->nsizes == MODEL_MAX_SIZES)
			return false;
		memmove(&g->size[i + 1], &g->size[i], (g->nsizes - i) * sizeof(g->size[0]));
		memmove(&g->x[i + 1], &g->x[i], (g->nsizes - i) * sizeof(g->x[0]));
		memmove(&reps[i + 1], &reps[i], (g->nsizes - i) * sizeof(reps[0]));
		memset(g->x[i], 0, sizeof(g->x[i]));
		reps[i] = 0;
		g->size[i] = x[MODEL_BYTE];
		g->nsizes++;
	}
	for (size_t j = 0; j < MODEL_NTERMS; j++)
		g->x[i][j] += x[j];
	reps[i]++;
	return true;
}

/* Each count term as a + b x ceil(size / 4 KiB) over the measured sizes' means, for the
 * sizes the group did not measure. */
static void fit_counts(struct model_group *g)
{
	double X[MODEL_MAX_SIZES * 2], y[MODEL_MAX_SIZES], ab[2];
	bool used[2];

	for (size_t j = 0; j < MODEL_NTERMS; j++) {
		if (j == MODEL_FIXED || j == MODEL_BYTE)
			continue;
		for (size_t i = 0; i < g->nsizes; i++) {
			X[i * 2] = 1;
			X[i * 2 + 1] = ceil(g->size[i] / 4096);
			y[i] = g->x[i][j];
		}
		model_fit(X, g->nsizes, 2, y, ab, used, NULL);
		g->count_a[j] = ab[0];
		g->count_b[j] = ab[1];
	}
}

/* Backward elimination: while a used term's coefficient is within two standard errors of
 * 0 (and another term is left), the least significant one is dropped (its column zeroed
 * in X: the weighted terms of the g->n rows) and the rest refitted, so every coefficient
 * left is one the data support.  Needs standard errors, i.e. more rows than terms. */
static void drop_noise_terms(struct model_group *g, double *X, const double *y)
{
	for (;;) {
		int worst = -1, nused = 0;

		for (int j = 0; j < MODEL_NTERMS; j++) {
			nused += g->used[j];
			if (g->used[j] && isfinite(g->se[j]) && fabs(g->c[j]) < 2 * g->se[j] &&
			    (worst < 0 || fabs(g->c[j]) / g->se[j] < fabs(g->c[worst]) / g->se[worst]))
				worst = j;
		}
		if (worst < 0 || nused < 2)
			return;
		for (size_t i = 0; i < g->n; i++)
			X[i * MODEL_NTERMS + worst] = 0;
		g->dropped[worst] = true;
		g->r2 = model_fit(X, g->n, MODEL_NTERMS, y, g->c, g->used, g->se);
	}
}

/* Term j moves with the used terms (it was folded): as a multiple of one of them (a
 * doorbell per page), the joint cost is that term's; as a mix of several (bytes = 4 KiB x
 * (pages - 3) per request when every size is whole pages) the split between them is the
 * fit's arbitrary choice.  True in the first case.  X: the weighted terms of the rows. */
static bool folds_into_one(const struct model_group *g, const double *X, int j)
{
	double *A = calloc(g->n * MODEL_NTERMS, sizeof(*A)), *col = calloc(g->n, sizeof(*col));
	double alpha[MODEL_NTERMS], norm[MODEL_NTERMS] = { 0 };
	bool used[MODEL_NTERMS];
	int mixed = 0;

	for (size_t i = 0; i < g->n; i++) {
		for (int p = 0; p < MODEL_NTERMS; p++) {
			A[i * MODEL_NTERMS + p] = g->used[p] ? X[i * MODEL_NTERMS + p] : 0;
			norm[p] += X[i * MODEL_NTERMS + p] * X[i * MODEL_NTERMS + p];
		}
		col[i] = X[i * MODEL_NTERMS + j];
	}
	model_fit(A, g->n, MODEL_NTERMS, col, alpha, used, NULL);
	for (int p = 0; p < MODEL_NTERMS; p++)
		mixed += used[p] && fabs(alpha[p]) * sqrt(norm[p]) > 0.01 * sqrt(norm[j]);
	free(A);
	free(col);
	return mixed <= 1;
}

/* Whether the first fit can be told apart (see struct model_group); records the term
 * that is a mix of several others, if one is. */
static bool separable(struct model_group *g, const double *X)
{
	size_t nused = 0;

	g->mixed = -1;
	for (int j = 0; j < MODEL_NTERMS; j++) {
		nused += g->used[j];
		if (g->present[j] && !g->used[j] && g->mixed < 0 && !folds_into_one(g, X, j))
			g->mixed = j;
	}
	return g->nsizes > nused && g->mixed < 0;
}

/* Fit the group of the rows with this key (the caller fills g->key). */
static void fit_group(const struct csv *t, struct model_group *g)
{
	double *X = calloc(t->nrows * MODEL_NTERMS, sizeof(*X)), *y = calloc(t->nrows, sizeof(*y));
	size_t reps[MODEL_MAX_SIZES] = { 0 };
	char k[160];

	for (size_t r = 0; r < t->nrows; r++) {
		double *x = &X[g->n * MODEL_NTERMS];

		row_key(t, r, k, sizeof(k));
		if (strcmp(k, g->key) || !row_terms(t, r, x, &y[g->n]) || !add_size(g, reps, x))
			continue;
		if (!g->n++) {
			snprintf(g->label, sizeof(g->label), "%s", csv_get(t, r, "label"));
			snprintf(g->direction, sizeof(g->direction), "%s", csv_get(t, r, "direction"));
			snprintf(g->fault, sizeof(g->fault), "%s", csv_get(t, r, "fault"));
			snprintf(g->page_size, sizeof(g->page_size), "%s", csv_get(t, r, "page_size"));
			g->per_request = !strcmp(csv_get(t, r, "transport"), "ring");
		}
		for (size_t j = 0; j < MODEL_NTERMS; j++)
			g->present[j] |= x[j] != 0;
	}
	for (size_t i = 0; i < g->nsizes; i++)
		for (size_t j = 0; j < MODEL_NTERMS; j++)
			g->x[i][j] /= (double)reps[i];
	/* weighted by 1/time: relative errors count alike from 64 B to 64 MiB */
	for (size_t i = 0; i < g->n; i++) {
		for (size_t j = 0; j < MODEL_NTERMS; j++)
			X[i * MODEL_NTERMS + j] /= y[i];
		y[i] = 1;
	}
	g->r2 = model_fit(X, g->n, MODEL_NTERMS, y, g->c, g->used, g->se);
	g->separable = separable(g, X);
	drop_noise_terms(g, X, y);
	for (size_t i = 0; i < g->n; i++) /* X rows are terms / time: the prediction's ratio to the time */
		g->rms_rel += pow(dot(g->c, &X[i * MODEL_NTERMS]) - 1, 2) / (double)g->n;
	g->rms_rel = sqrt(g->rms_rel);
	fit_counts(g);
	free(X);
	free(y);
}

size_t model_groups(const struct csv *t, struct model_group **out)
{
	size_t n = 0;
	char key[160];

	*out = NULL;
	for (size_t r = 0; r < t->nrows; r++) {
		double x[MODEL_NTERMS], y;
		bool seen = false;

		row_key(t, r, key, sizeof(key));
		for (size_t i = 0; i < n && !seen; i++)
			seen = !strcmp((*out)[i].key, key);
		if (seen || !row_terms(t, r, x, &y))
			continue;
		*out = realloc(*out, (n + 1) * sizeof(**out));
		memset(&(*out)[n], 0, sizeof(**out));
		snprintf((*out)[n].key, sizeof((*out)[n].key), "%s", key);
		fit_group(t, &(*out)[n++]);
	}
	return n;
}

bool model_extrapolated(const struct model_group *g, double bytes)
{
	return !g->nsizes || bytes < g->size[0] || bytes > g->size[g->nsizes - 1];
}

double model_predict(const struct model_group *g, double bytes, double part[MODEL_NTERMS])
{
	double x[MODEL_NTERMS], total = 0;
	size_t i = 0;

	while (i < g->nsizes && g->size[i] != bytes)
		i++;
	for (size_t j = 0; j < MODEL_NTERMS; j++) {
		x[j] = j == MODEL_FIXED ? 1 : j == MODEL_BYTE ? bytes : g->count_a[j] + g->count_b[j] * ceil(bytes / 4096);
		x[j] = i < g->nsizes ? g->x[i][j] : x[j] > 0 ? x[j] : 0;
	}
	for (size_t j = 0; j < MODEL_NTERMS; j++) {
		total += g->c[j] * x[j];
		if (part)
			part[j] = g->c[j] * x[j];
	}
	return total;
}

const char *model_term_name(const struct model_group *g, int term)
{
	static const char *const names[MODEL_NTERMS] = { "fixed", "per doorbell", "per page", "per byte", "per fault" };

	return term == MODEL_FIXED && g->per_request ? "per request" : names[term];
}

/* "64 B", "64 KiB", "4 MiB". */
static const char *size_text(double bytes, char *out, size_t cap)
{
	pagegate_size_name(bytes, out, cap);
	return out;
}

/* "1 size (64 B)", "5 sizes (64 B..4 MiB)". */
static const char *sizes_text(const struct model_group *g, char *out, size_t cap)
{
	char lo[32], hi[32];

	if (g->nsizes == 1)
		snprintf(out, cap, "1 size (%s)", size_text(g->size[0], lo, sizeof(lo)));
	else
		snprintf(out, cap, "%zu sizes (%s..%s)", g->nsizes, size_text(g->size[0], lo, sizeof(lo)),
			 size_text(g->size[g->nsizes - 1], hi, sizeof(hi)));
	return out;
}

/* Why a fit that cannot separate its terms says nothing more. */
static void cannot_separate(const struct model_group *g, char *out, size_t cap)
{
	char sizes[80];
	int present = 0;

	for (size_t j = 0; j < MODEL_NTERMS; j++)
		present += g->present[j];
	if (g->mixed >= 0)
		snprintf(out, cap, "cannot separate its %d terms with %s: %s moves with several others at these sizes",
			 present, sizes_text(g, sizes, sizeof(sizes)), model_term_name(g, g->mixed));
	else
		snprintf(out, cap, "cannot separate its %d terms with %s: a fit needs more distinct sizes than terms",
			 present, sizes_text(g, sizes, sizeof(sizes)));
}

int model_dominant_line(const struct model_group *g, double bytes, char *out, size_t cap)
{
	double part[MODEL_NTERMS], total;
	char size[32], why[160], measured[80];
	int top = -1;
	size_t len;
	bool negative = false, others = false;

	size_text(bytes, size, sizeof(size));
	if (!g->separable) {
		cannot_separate(g, why, sizeof(why));
		snprintf(out, cap, "at %s %s: %s", size, g->key, why);
		return -1;
	}
	total = model_predict(g, bytes, part);
	for (int j = 0; j < MODEL_NTERMS; j++)
		if (g->used[j] && (top < 0 || part[j] > part[top]))
			top = j;
	assert(top >= 0); /* a separable fit has a size, hence a used term */
	len = (size_t)snprintf(out, cap, "at %s %s: %s %.0f %% of %.4g us", size, g->key, model_term_name(g, top),
			       100 * part[top] / total, total / 1e3);
	for (int j = 0; j < MODEL_NTERMS && len < cap; j++) {
		if (!g->used[j] || j == top)
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%s%s %.0f %%", others ? ", " : " (", model_term_name(g, j),
					100 * part[j] / total);
		others = true;
		negative |= part[j] < 0;
	}
	if (len < cap && others)
		len += (size_t)snprintf(out + len, cap - len, ")");
	if (len < cap && negative)
		len += (size_t)snprintf(out + len, cap - len, "; a negative part: a term is missing from the model");
	if (len < cap && model_extrapolated(g, bytes))
		snprintf(out + len, cap - len, "; extrapolated, the fit saw %s", sizes_text(g, measured, sizeof(measured)));
	return top;
}

static void print_fit(const struct model_group *g, FILE *out)
{
	char text[160];

	if (!g->separable) {
		cannot_separate(g, text, sizeof(text));
		fprintf(out, "%-52s n=%-4zu %s\n", g->key, g->n, text);
		return;
	}
	fprintf(out, "%-52s n=%-4zu %s, rms err %.1f%%:", g->key, g->n, sizes_text(g, text, sizeof(text)),
		100 * g->rms_rel);
	for (int j = 0, first = 1; j < MODEL_NTERMS; j++)
		if (g->used[j]) {
			fprintf(out, "%s %s %.4g ±%.2g us", first ? "" : ",", model_term_name(g, j), g->c[j] / 1e3,
				g->se[j] / 1e3);
			first = 0;
		}
	for (int j = 0; j < MODEL_NTERMS; j++)
		if (g->dropped[j])
			fprintf(out, "; %s not distinguishable from 0 (dropped)", model_term_name(g, j));
		else if (g->present[j] && !g->used[j])
			fprintf(out, "; %s moves with the terms before it (folded in)", model_term_name(g, j));
	fprintf(out, "\n");
}

/* What one more page of data costs in this configuration, by the fit: the difference of
 * the predictions for its largest and smallest transfers per page between them. */
static double marginal_page_us(const struct model_group *g)
{
	double lo = g->size[0], hi = g->size[g->nsizes - 1], pages = (hi - lo) / 4096;

	return pages > 0 ? (model_predict(g, hi, NULL) - model_predict(g, lo, NULL)) / pages / 1e3 : NAN;
}

/* The send, 4 KiB page fit of this row label and fault, if its terms are separable. */
static const struct model_group *find_fit(const struct model_group *g, size_t n, const char *label, const char *fault)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(g[i].label, label) && !strcmp(g[i].fault, fault) && !strcmp(g[i].direction, "send") &&
		    !strcmp(g[i].page_size, "4k") && g[i].separable)
			return &g[i];
	return NULL;
}

static void account(const struct model_group *fits, size_t n, FILE *out)
{
	static const double thesis_basic[4] = { 78, 83, 85, 80 }, thesis_ext[4] = { 121, 126, 132, 134 };
	const struct model_group *basic = find_fit(fits, n, "basic(kvm)", "warm"), *kvm = find_fit(fits, n, "extended(kvm)", "warm");
	const struct model_group *walk = find_fit(fits, n, "extended(walk)", "warm"), *pt = find_fit(fits, n, "ptcopy", "warm");
	const struct model_group *cold = find_fit(fits, n, "extended(walk)", "cold");
	double X[4 * 2], y[4], c[2], piece = 0, ratio, exit_us, kvm_page, cold_page = 0, share;
	bool used[2];
	double r2;

	fprintf(out, "\nThe thesis's own numbers (Table 7.1, MB = 10^6 bytes):\n");
	for (int k = 0; k < 4; k++) {
		double bytes = (k + 1) * 1e6, pages = ceil(bytes / 4096);

		piece += bytes / (thesis_basic[k] * 1e6) / pages * 1e6 / 4;
		X[k * 2] = 1;
		X[k * 2 + 1] = pages;
		y[k] = bytes / (thesis_ext[k] * 1e6) * 1e6; /* us */
	}
	r2 = model_fit(X, 4, 2, y, c, used, NULL);
	ratio = c[1] / piece;
	fprintf(out, "  basic:    %.1f us per 4 KiB piece (exit + copy + switch), flat in size\n", piece);
	fprintf(out, "  extended: %.0f us per call + %.1f us per page (R^2 %.4f): a page costs %.2f of a basic piece\n", c[0],
	       c[1], r2, ratio);
	if (!basic || !kvm) {
		fprintf(out, "(this dataset lacks send/warm/4k rows of basic(kvm) and extended(kvm): no comparison)\n");
		return;
	}
	exit_us = marginal_page_us(basic);
	kvm_page = marginal_page_us(kvm);
	fprintf(out, "\nHere, by the fits (send, 4 KiB pages; the cost of one more 4 KiB of data): basic %.1f us per piece;\n"
	       "extended(kvm) %.2f us per page", exit_us, kvm_page);
	if (walk)
		fprintf(out, ", extended(walk) %.3f", marginal_page_us(walk));
	if (pt)
		fprintf(out, ", ptcopy %.3f", marginal_page_us(pt));
	if (cold)
		fprintf(out, "; a cold page (extended(walk), cold) %.1f", cold_page = marginal_page_us(cold));
	fprintf(out, " us per page.\nPredicted Table 7.1 here (MB/s): ");
	for (int k = 0; k < 4; k++)
		fprintf(out, " basic %.0f / extended %.0f%s", 1e6 * (k + 1) / model_predict(basic, 1e6 * (k + 1), NULL) * 1e3,
		       1e6 * (k + 1) / model_predict(kvm, 1e6 * (k + 1), NULL) * 1e3, k < 3 ? ";" : "\n");
	fprintf(out, "\nAccount: the thesis's extended channel pays %.1f us per page, %.2f times what its basic channel pays\n"
	       "per 4 KiB piece, which is why it is only ~1.5x faster and grows slowly with size.  A per-page cost\n"
	       "that large is not translation by walking tables (here, copy included: %.3f us/page extended(walk),\n"
	       "%.3f ptcopy) and not a translation call unless that call costs about half a VM exit: here\n"
	       "KVM_TRANSLATE + copy costs %.2f of a basic piece, which makes extended(kvm) %.1fx faster than basic.",
	       c[1], ratio, walk ? marginal_page_us(walk) : NAN, pt ? marginal_page_us(pt) : NAN, kvm_page / exit_us,
	       exit_us / kvm_page);
	if (!cold) {
		fprintf(out, "\n(run bench with --fault warm,cold for the demand-paging share)\n");
		return;
	}
	share = (ratio * exit_us - kvm_page) / (cold_page - kvm_page);
	fprintf(out, "  The one per-page cost\nhere of that size is demand paging: a page absent during the transfer costs %.0f us (%.1f basic\n"
	       "pieces).  With this platform's costs the thesis's ratio is what a buffer gives in which %.0f%% of\n"
	       "the pages fault during the transfer (%.2f x %.0f + %.2f x %.2f = %.1f us per page), e.g. a partly\n"
	       "untouched buffer, which the thesis's measurements did not separate from the channel; a per-page\n"
	       "translation call costing ~%.0f%% of an exit would do the same.  Cold and warm runs on the original\n"
	       "platform would tell the two apart; here `bench --fault warm,cold` does.\n",
	       cold_page, cold_page / exit_us, 100 * share, share, cold_page, 1 - share, kvm_page, ratio * exit_us,
	       100 * ratio);
}

/* For every group, the dominant term at 64 B, 64 KiB and 4 MiB. */
static void print_dominant(const struct model_group *g, size_t n, FILE *out)
{
	static const double sizes[] = { 64, 64 << 10, 4 << 20 };
	char line[512];

	fprintf(out, "\nWhich term dominates: the predicted time (per transfer; the ring's per request) and each\n"
		     "term's share of it:\n");
	for (size_t i = 0; i < n; i++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			model_dominant_line(&g[i], sizes[s], line, sizeof(line));
			fprintf(out, "  %s\n", line);
		}
}

int model_report(const char *dir, FILE *out)
{
	char path[600], err[700];
	struct csv *t;
	struct model_group *g;
	size_t n;

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	t = csv_read(path, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "pagegate model: %s\n", err);
		return 2;
	}
	n = model_groups(t, &g);
	fprintf(out, "Fits of time = fixed + per doorbell x doorbells + per page x pages translated + per byte x bytes\n"
		     "+ per fault x faults, per configuration over its sizes, least squares on relative error (terms\n"
		     "that move together with an earlier one are folded into it; ± one standard error; rms err = the\n"
		     "fit's typical relative error; a fit needs more distinct sizes than terms).  The ring's rows are\n"
		     "fitted per request: time = window / requests of a stream with qd requests in flight, so its\n"
		     "terms are throughput costs at that qd (at qd 1 the mean round trip of a request with the\n"
		     "guest's loop around it, not the latency percentiles); per request + per page translated + per\n"
		     "byte, each qd its own fit:\n");
	for (size_t i = 0; i < n; i++)
		print_fit(&g[i], out);
	print_dominant(g, n, out);
	account(g, n, out);
	free(g);
	csv_free(t);
	return 0;
}
