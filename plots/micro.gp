# Per-page translation cost versus the number of pages translated, one line per method
# (KVM_TRANSLATE, software walk, page-table copy, cached walk), log-log.
# data: micro-<mapping>.dat (blocks per method: pages ns_per_page).
stats data using 1 nooutput
set title title noenhanced
set logscale x 2
set logscale y 10
set format x '%.0f'
set xlabel 'pages translated per call'
set ylabel 'ns per page'
set key below horizontal maxrows 2 spacing 1.1
plot for [i=0:STATS_blocks-1] data index i using 1:2 with linespoints title columnhead(1)
