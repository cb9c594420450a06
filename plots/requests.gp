# Requests per second versus size (log-log), one line per row: a doorbell transfer is one
# request; the ring's rows beside them, with their submit -> seen latency p50 and p99 on
# the right.  data: requests-<facet>.dat (blocks per row: bytes req/s p50_ns p99_ns);
# title: the facet.
stats data using 1 nooutput
set multiplot layout 1,2 title title noenhanced
set logscale x 2
set xtics ("64 B" 64, "1 KiB" 1024, "16 KiB" 16384, "256 KiB" 262144, "4 MiB" 4194304, "64 MiB" 67108864)
set logscale y 10
set xlabel 'transfer size'
set key below vertical maxrows 3 spacing 1.1
set ylabel 'requests per second'
plot for [i=0:STATS_blocks-1] data index i using 1:2 with linespoints lc i+1 title columnhead(1)
set ylabel 'latency (us): p50 solid, p99 dashed'
plot for [i=0:STATS_blocks-1] data index i using 1:($3/1e3) with linespoints lc i+1 title columnhead(1), \
	for [i=0:STATS_blocks-1] data index i using 1:($4/1e3) with lines lc i+1 dt 2 notitle
unset multiplot
