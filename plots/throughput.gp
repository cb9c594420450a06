# Throughput versus transfer size, one line per transport row with p5-p95 error bars, the
# thesis's Table 7.1 points overlaid.  data: throughput-<facet>.dat (blocks per row:
# bytes median p5 p95 pct); ref: datasets/reference/table-7.1.csv; title: the facet.
stats data using 1 nooutput
set title title noenhanced
set logscale x 2
set logscale y 10
set xlabel 'transfer size'
set ylabel 'throughput (MB/s, MB = 10^6 B)'
set key below horizontal maxrows 3 spacing 1.1
refws = '< tr "," " " < '.ref
plot for [i=0:STATS_blocks-1] data index i using 1:2:3:4 with yerrorlines title columnhead(1), \
	refws every ::1 using (strcol(1) eq 'basic' ? $2 : NaN):3 with points lc rgb 'black' pt 4 ps 1.6 lw 1 title 'thesis basic', \
	refws every ::1 using (strcol(1) eq 'extended' ? $2 : NaN):3 with points lc rgb 'black' pt 6 ps 1.6 lw 1 title 'thesis extended'
