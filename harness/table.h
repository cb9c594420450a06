/*
 * `pagegate table DIR`: a dataset's summary in the layout of the thesis's Table 7.1,
 * beside the thesis's numbers, with the ratios that matter and where the time goes.
 */
#ifndef PG_TABLE_H
#define PG_TABLE_H

#include <stdio.h>

/* The ratios of the Table 7.1 view: numerator and denominator row labels. */
#define TABLE_NRATIOS 3
extern const char *const table_ratios[TABLE_NRATIOS][2];

/* Print the views of DIR/summary.csv; 0, or 1 after a message if it cannot be read. */
int table_print(const char *dir, FILE *out);

#endif
