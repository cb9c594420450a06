/*
 * `pagegate plot DIR` and `pagegate compare A B`: figures through the gnuplot scripts in
 * plots/ (which hold every visual decision) from figure data files that this code cuts
 * out of the datasets' summary.csv (one block per series), and the comparison table.
 */
#ifndef PG_PLOT_H
#define PG_PLOT_H

/* Write DIR/figures/{throughput,bound,stages,faults}-<facet>.{png,svg,pdf}; 0 or 1. */
int plot_main(const char *dir);
/* Render plots/<script>.gp from a data file into out.{png,svg,pdf}; `extra` is more
 * gnuplot assignments (or NULL).  0, or 1 after a message. */
int plot_render(const char *script, const char *data, const char *extra, const char *out);

/* Per configuration median ratio B/A, flagged where p5-p95 do not overlap; overlay
 * figures into B/figures/.  0, or 1 if a flagged change was found, 2 on errors. */
int compare_main(const char *a, const char *b);

#endif
