/*
 * The cost model (see model.h).  Fitting is modified Gram-Schmidt on the columns with
 * dependent columns dropped, then back substitution; a configuration whose terms move
 * together (basic: one doorbell per page; cold: one fault per page) gets the joint cost
 * on the first of them and says so.  The account of Table 7.1 compares the per-page cost
 * the thesis's numbers imply, relative to its per-exit cost, with the same ratio for each
 * per-page cost measured here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "csv.h"
#include "dataset.h"
#include "model.h"

#define K_MAX 8
#define NTERMS 5

static const char *const term_names[NTERMS] = { "fixed", "per doorbell", "per page", "per byte", "per fault" };
static const char *const term_cols[NTERMS] = { NULL, "doorbells", "pages_translated", "bytes", "faults" };

double model_fit(const double *X, size_t n, size_t k, const double *y, double *c, bool *used)
{
	double *q = calloc(n * k, sizeof(*q)), r[K_MAX][K_MAX] = { { 0 } }, qty[K_MAX] = { 0 };
	double mean = 0, ss_tot = 0, ss_res = 0;

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
	for (size_t j = k; j-- > 0;) {
		double s = qty[j];

		c[j] = 0;
		if (!used[j])
			continue;
		for (size_t p = j + 1; p < k; p++)
			s -= r[j][p] * c[p];
		c[j] = s / r[j][j];
	}
	for (size_t i = 0; i < n; i++)
		mean += y[i] / (double)n;
	for (size_t i = 0; i < n; i++) {
		double fit = 0;

		for (size_t j = 0; j < k; j++)
			fit += X[i * k + j] * c[j];
		ss_res += (y[i] - fit) * (y[i] - fit);
		ss_tot += (y[i] - mean) * (y[i] - mean);
	}
	free(q);
	return ss_tot > 0 ? 1 - ss_res / ss_tot : (ss_res < 1e-9 ? 1 : 0);
}

struct fit {
	char key[160], label[32], direction[8], fault[8], page_size[8];
	double c[NTERMS];
	bool used[NTERMS];
	double r2, rms_rel; /* R^2 of the weighted fit; RMS relative error of the prediction */
	size_t n;
	double x_lo[NTERMS], x_hi[NTERMS]; /* terms of the smallest and the largest transfer */
};

static double dot(const double *c, const double *x)
{
	double s = 0;

	for (size_t j = 0; j < NTERMS; j++)
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

static void fit_group(const struct csv *t, const char *key, struct fit *f)
{
	double *X = calloc(t->nrows * NTERMS, sizeof(*X)), *y = calloc(t->nrows, sizeof(*y));
	char k[160];
	size_t n = 0;

	for (size_t r = 0; r < t->nrows; r++) {
		row_key(t, r, k, sizeof(k));
		if (strcmp(k, key) || strcmp(csv_get(t, r, "status"), "0"))
			continue;
		if (!n) {
			snprintf(f->label, sizeof(f->label), "%s", csv_get(t, r, "label"));
			snprintf(f->direction, sizeof(f->direction), "%s", csv_get(t, r, "direction"));
			snprintf(f->fault, sizeof(f->fault), "%s", csv_get(t, r, "fault"));
			snprintf(f->page_size, sizeof(f->page_size), "%s", csv_get(t, r, "page_size"));
		}
		X[n * NTERMS] = 1;
		for (size_t j = 1; j < NTERMS; j++)
			X[n * NTERMS + j] = csv_num(t, r, term_cols[j]);
		if (!n || X[n * NTERMS + 3] < f->x_lo[3])
			memcpy(f->x_lo, &X[n * NTERMS], sizeof(f->x_lo));
		if (!n || X[n * NTERMS + 3] > f->x_hi[3])
			memcpy(f->x_hi, &X[n * NTERMS], sizeof(f->x_hi));
		y[n++] = csv_num(t, r, "total_ns");
	}
	snprintf(f->key, sizeof(f->key), "%s", key);
	f->n = n;
	/* weighted by 1/time: relative errors count alike from 4 KiB to 64 MiB */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < NTERMS; j++)
			X[i * NTERMS + j] /= y[i];
		y[i] = 1;
	}
	f->r2 = n ? model_fit(X, n, NTERMS, y, f->c, f->used) : 0;
	for (size_t i = 0; i < n; i++) /* X rows are terms / time: the prediction's ratio to the time */
		f->rms_rel += (dot(f->c, &X[i * NTERMS]) - 1) * (dot(f->c, &X[i * NTERMS]) - 1) / (double)n;
	f->rms_rel = sqrt(f->rms_rel);
	free(X);
	free(y);
}

/* What one more page of data costs in this configuration, by the fit: the difference of
 * the predictions for its largest and smallest transfers per page between them. */
static double marginal_page_us(const struct fit *f)
{
	double pages = (f->x_hi[3] - f->x_lo[3]) / 4096;

	return pages > 0 ? (dot(f->c, f->x_hi) - dot(f->c, f->x_lo)) / pages / 1e3 : NAN;
}

static void print_fit(const struct fit *f)
{
	printf("%-48s n=%-4zu rms err %4.1f%% ", f->key, f->n, 100 * f->rms_rel);
	for (size_t j = 0; j < NTERMS; j++)
		if (f->used[j])
			printf(" %s %.4g us", term_names[j], f->c[j] / 1e3);
	printf("\n");
}

/* Predicted time of a transfer of `bytes` for a fitted configuration. */
static double predict_ns(const struct fit *f, double bytes, double per_doorbell_bytes)
{
	double x[NTERMS] = { 1, ceil(bytes / per_doorbell_bytes), ceil(bytes / 4096), bytes, 0 }, t = 0;

	for (size_t j = 0; j < NTERMS; j++)
		t += f->c[j] * x[j];
	return t;
}

static const struct fit *find_fit(const struct fit *fits, size_t n, const char *label, const char *fault)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(fits[i].label, label) && !strcmp(fits[i].fault, fault) && !strcmp(fits[i].direction, "send") &&
		    !strcmp(fits[i].page_size, "4k") && fits[i].n)
			return &fits[i];
	return NULL;
}

static void account(const struct fit *fits, size_t n)
{
	static const double thesis_basic[4] = { 78, 83, 85, 80 }, thesis_ext[4] = { 121, 126, 132, 134 };
	const struct fit *basic = find_fit(fits, n, "basic(kvm)", "warm"), *kvm = find_fit(fits, n, "extended(kvm)", "warm");
	const struct fit *walk = find_fit(fits, n, "extended(walk)", "warm"), *pt = find_fit(fits, n, "ptcopy", "warm");
	const struct fit *cold = find_fit(fits, n, "extended(walk)", "cold");
	double X[4 * 2], y[4], c[2], piece = 0, ratio, exit_us, kvm_page, cold_page = 0, share;
	bool used[2];
	double r2;

	printf("\nThe thesis's own numbers (Table 7.1, MB = 10^6 bytes):\n");
	for (int k = 0; k < 4; k++) {
		double bytes = (k + 1) * 1e6, pages = ceil(bytes / 4096);

		piece += bytes / (thesis_basic[k] * 1e6) / pages * 1e6 / 4;
		X[k * 2] = 1;
		X[k * 2 + 1] = pages;
		y[k] = bytes / (thesis_ext[k] * 1e6) * 1e6; /* us */
	}
	r2 = model_fit(X, 4, 2, y, c, used);
	ratio = c[1] / piece;
	printf("  basic:    %.1f us per 4 KiB piece (exit + copy + switch), flat in size\n", piece);
	printf("  extended: %.0f us per call + %.1f us per page (R^2 %.4f): a page costs %.2f of a basic piece\n", c[0],
	       c[1], r2, ratio);
	if (!basic || !kvm) {
		printf("(this dataset lacks send/warm/4k rows of basic(kvm) and extended(kvm): no comparison)\n");
		return;
	}
	exit_us = marginal_page_us(basic);
	kvm_page = marginal_page_us(kvm);
	printf("\nHere, by the fits (send, 4 KiB pages; the cost of one more 4 KiB of data): basic %.1f us per piece;\n"
	       "extended(kvm) %.2f us per page", exit_us, kvm_page);
	if (walk)
		printf(", extended(walk) %.3f", marginal_page_us(walk));
	if (pt)
		printf(", ptcopy %.3f", marginal_page_us(pt));
	if (cold)
		printf("; a cold page (extended(walk), cold) %.1f", cold_page = marginal_page_us(cold));
	printf(" us per page.\nPredicted Table 7.1 here (MB/s): ");
	for (int k = 0; k < 4; k++)
		printf(" basic %.0f / extended %.0f%s", 1e6 * (k + 1) / predict_ns(basic, 1e6 * (k + 1), 4096) * 1e3,
		       1e6 * (k + 1) / predict_ns(kvm, 1e6 * (k + 1), 4194304) * 1e3, k < 3 ? ";" : "\n");
	printf("\nAccount: the thesis's extended channel pays %.1f us per page, %.2f times what its basic channel pays\n"
	       "per 4 KiB piece, which is why it is only ~1.5x faster and grows slowly with size.  A per-page cost\n"
	       "that large is not translation by walking tables (here, copy included: %.3f us/page extended(walk),\n"
	       "%.3f ptcopy) and not a translation call unless that call costs about half a VM exit: here\n"
	       "KVM_TRANSLATE + copy costs %.2f of a basic piece, which makes extended(kvm) %.1fx faster than basic.",
	       c[1], ratio, walk ? marginal_page_us(walk) : NAN, pt ? marginal_page_us(pt) : NAN, kvm_page / exit_us,
	       exit_us / kvm_page);
	if (!cold) {
		printf("\n(run bench with --fault warm,cold for the demand-paging share)\n");
		return;
	}
	share = (ratio * exit_us - kvm_page) / (cold_page - kvm_page);
	printf("  The one per-page cost\nhere of that size is demand paging: a page absent during the transfer costs %.0f us (%.1f basic\n"
	       "pieces).  With this platform's costs the thesis's ratio is what a buffer gives in which %.0f%% of\n"
	       "the pages fault during the transfer (%.2f x %.0f + %.2f x %.2f = %.1f us per page), e.g. a partly\n"
	       "untouched buffer, which the thesis's measurements did not separate from the channel; a per-page\n"
	       "translation call costing ~%.0f%% of an exit would do the same.  Cold and warm runs on the original\n"
	       "platform would tell the two apart; here `bench --fault warm,cold` does.\n",
	       cold_page, cold_page / exit_us, 100 * share, share, cold_page, 1 - share, kvm_page, ratio * exit_us,
	       100 * ratio);
}

int model_main(const char *dir)
{
	char path[600], err[700], key[160];
	struct csv *t;
	struct fit *fits;
	size_t nfits = 0;

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	t = csv_read(path, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "pagegate model: %s\n", err);
		return 2;
	}
	fits = calloc(t->nrows + 1, sizeof(*fits));
	printf("Fits of total_ns = fixed + per doorbell x doorbells + per page x pages + per byte x bytes\n"
	       "+ per fault x faults, least squares on relative error (terms that move together with an earlier\n"
	       "one are folded into it; rms err = the fit's typical relative error):\n");
	for (size_t r = 0; r < t->nrows; r++) {
		bool seen = false;

		row_key(t, r, key, sizeof(key));
		for (size_t i = 0; i < nfits && !seen; i++)
			seen = !strcmp(fits[i].key, key);
		if (seen)
			continue;
		fit_group(t, key, &fits[nfits]);
		print_fit(&fits[nfits++]);
	}
	account(fits, nfits);
	free(fits);
	csv_free(t);
	return 0;
}
