# Queue-depth sweep of the ring at one request size: requests/s versus requests in flight
# (log2 x), one line per ring row (addressing/notification), each doorbell row's
# transfers/s at that size as a dashed grey reference (a doorbell transfer is one request,
# at qd 1: where the line lies above a ring row, doorbells still win); right: the ring's
# submit -> seen latency, p50 solid and p99 dashed.  One key under both panels.
# data: qd-<facet>.dat (the nring ring blocks "qd req/s p50_ns p99_ns" first, then one
# block per doorbell row: its transfers/s at the smallest and the largest depth);
# title (the facet, without its depth), nring, size.
stats data using 1 nooutput
set multiplot title title.', '.size.' requests' noenhanced
set size 0.5, 0.7
set origin 0, 0.23
set logscale x 2
set format x '%g'
set xlabel 'requests in flight (qd)'
set logscale y 10
unset key
set ylabel 'requests per second'
plot for [i=0:nring-1] data index i using 1:2 with linespoints lc i+1 title columnhead(1), \
	for [i=nring:STATS_blocks-1] data index i using 1:2 with lines dt 2 lc 7+i-nring \
		title columnhead(1).' transfers/s'
set origin 0.5, 0.23
set ylabel 'latency (us): p50 solid, p99 dashed'
plot for [i=0:nring-1] data index i using 1:($3/1e3) with linespoints lc i+1 notitle, \
	for [i=0:nring-1] data index i using 1:($4/1e3) with lines lc i+1 dt 2 notitle
set size 1, 0.2
set origin 0, 0
@key_panel
plot for [i=0:nring-1] data index i using 1:(NaN) with linespoints lc i+1 title columnhead(1), \
	for [i=nring:STATS_blocks-1] data index i using 1:(NaN) with lines dt 2 lc 7+i-nring \
		title columnhead(1).' transfers/s'
unset multiplot
