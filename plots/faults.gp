# Cost of demand paging during a transfer: (cold median - warm median) / faults taken,
# microseconds per absent page, versus size.  data: faults-<facet>.dat (blocks per row).
stats data using 1 nooutput
set title title noenhanced
set logscale x 2
set xlabel 'transfer size'
set ylabel 'cost per absent page (us)'
set yrange [0:*]
set key below horizontal maxrows 3 spacing 1.1
plot for [i=0:STATS_blocks-1] data index i using 1:2 with linespoints title columnhead(1)
