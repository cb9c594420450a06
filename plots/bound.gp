# Percent of the calibrated bound reached (bound = one null-doorbell round trip per
# doorbell the transport needs at least + one memcpy of every byte), versus size.
# data: throughput-<facet>.dat (column 5 is the percent).
stats data using 1 nooutput
set title title noenhanced
set logscale x 2
set xlabel 'transfer size'
set ylabel 'bound reached (%)'
set yrange [0:*]
set key below horizontal maxrows 3 spacing 1.1
plot for [i=0:STATS_blocks-1] data index i using 1:5 with linespoints title columnhead(1)
