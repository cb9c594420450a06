/*
 * `pagegate plot DIR` and `pagegate compare A B`: figures through the gnuplot scripts in
 * plots/ (which hold every visual decision) from figure data files that this code cuts
 * out of the datasets' summary.csv (one block per series), and the comparison table.
 */
#ifndef PG_PLOT_H
#define PG_PLOT_H

/* Write DIR/figures/{throughput,bound,stages,faults}-<facet>.{png,svg,pdf} and, with
 * ring rows, {requests,ring-stages,cpu,latency-cdf,qd}-<facet>.*; 0 or 1. */
int plot_main(const char *dir);
/* Render plots/<script>.gp from a data file into out.{png,svg,pdf}; `extra` is more
 * gnuplot assignments (or NULL).  0, or 1 after a message. */
int plot_render(const char *script, const char *data, const char *extra, const char *out);

#define COMPARE_DEFAULT_THRESHOLD 0.03

/* `compare [--threshold PCT] A B` (argv[0] is "compare"): per configuration the median
 * ratio B/A with its bootstrap interval, flagged where the interval lies outside 1 +- the
 * threshold (where a run kept no results.csv: where the p5-p95 ranges do not overlap);
 * overlay figures into B/figures/.  0, or 1 if a flagged change was found, 2 on errors. */
int compare_main(int argc, char **argv);

#endif
