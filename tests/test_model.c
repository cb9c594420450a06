/*
 * The cost model's least-squares fit: known coefficients come back from exact data; a
 * column that only repeats an earlier one (a doorbell per page, a fault per page) is
 * reported as not separable instead of producing huge opposite coefficients; an all-zero
 * column is dropped; R^2 is 1 for an exact fit and lower for noisy data.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "../harness/model.h"

#define N 12

static void test_recovers_known_coefficients(void **state)
{
	double X[N * 3], y[N], c[3];
	bool used[3];

	(void)state;
	for (int i = 0; i < N; i++) {
		double pages = 1 << i, doorbells = ceil(pages / 1024);

		X[i * 3] = 1;
		X[i * 3 + 1] = doorbells;
		X[i * 3 + 2] = pages;
		y[i] = 20000 + 15000 * doorbells + 2500 * pages;
	}
	assert_true(model_fit(X, N, 3, y, c, used) > 0.999999);
	assert_true(used[0] && used[1] && used[2]);
	assert_true(fabs(c[0] - 20000) < 1e-3 && fabs(c[1] - 15000) < 1e-3 && fabs(c[2] - 2500) < 1e-6);
}

static void test_collinear_and_zero_columns_are_dropped(void **state)
{
	double X[N * 4], y[N], c[4];
	bool used[4];

	(void)state;
	for (int i = 0; i < N; i++) {
		double pages = 1 << i;

		X[i * 4] = 1;
		X[i * 4 + 1] = pages;     /* doorbells: one per page */
		X[i * 4 + 2] = pages * 2; /* a multiple of it */
		X[i * 4 + 3] = 0;         /* no faults */
		y[i] = 100 + 22000 * pages + (i % 2 ? 50 : -50);
	}
	assert_true(model_fit(X, N, 4, y, c, used) < 1);
	assert_true(used[0] && used[1]);
	assert_false(used[2]);
	assert_false(used[3]);
	assert_true(fabs(c[1] - 22000) < 1);
	assert_true(c[2] == 0 && c[3] == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recovers_known_coefficients),
		cmocka_unit_test(test_collinear_and_zero_columns_are_dropped),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
