/*
 * Run-to-run spread: for runs of one sweep (bench --runs N, or any datasets given to
 * `pagegate spread`), per configuration the spread max/min - 1 of the runs' medians of
 * MB/s, of % of the paired memcpy, and of % of the run-start memcpy (meta.json's
 * calibration: the unpaired baseline, which schema 2 runs have too), and per facet and
 * size the spread of the Table 7.1 ratios
 * (table.h); then the largest spread of each at 1-4 MiB, the sizes of the thesis's table.
 * A value some run did not measure (a schema 2 run has no % of memcpy) makes that spread
 * "not measured", never a guess.
 */
#ifndef PG_SPREAD_H
#define PG_SPREAD_H

#include <stdio.h>

/* Print the report of runs dirs[0..n) (n >= 2) to out, and write it as out_dir/spread.csv
 * unless out_dir is NULL; 0, or 1 after a message if a run cannot be read. */
int spread_report(const char *const *dirs, int n, const char *out_dir, FILE *out);
/* `pagegate spread DIR DIR...` (argv[0] is "spread"); 0, 1 or 2 (usage). */
int spread_main(int argc, char **argv);

#endif
