# What the ring's host I/O thread costs, per ring row versus request size: requests/s (top
# left); the thread's CPU share (not asleep, solid: a polling thread burns 100 % even when
# no request comes) and busy share (serving requests, dashed) of the window (top right);
# host TSC cycles per request (bottom left) = share x window x TSC rate / requests
# = share x tsc_khz x 1000 / (requests/s), solid from the CPU share, dashed from the busy
# share (tsc_khz from meta.json).  Doorbell rows are left out: the dataset has no CPU time
# of their vCPU threads.
# data: cpu-<facet>.dat (blocks per ring row: bytes req/s busy% cpu% cycles_cpu
# cycles_busy); title.
stats data using 1 nooutput
set multiplot layout 2,2 title title noenhanced margins 0.13, 0.97, 0.14, 0.85 spacing 0.13, 0.14
set logscale x 2
set xtics ("64 B" 64, "1 KiB" 1024, "16 KiB" 16384, "256 KiB" 262144, "4 MiB" 4194304, "64 MiB" 67108864)
unset xlabel
unset ylabel
unset key
set logscale y 10
set title 'requests per second'
plot for [i=0:STATS_blocks-1] data index i using 1:2 with linespoints lc i+1 notitle
unset logscale y
set yrange [0:105]
set title 'I/O thread, % of the window'
plot for [i=0:STATS_blocks-1] data index i using 1:4 with linespoints lc i+1 notitle, \
	for [i=0:STATS_blocks-1] data index i using 1:3 with lines lc i+1 dt 2 notitle
set logscale y 10
set yrange [*:*]
set title 'TSC cycles per request'
set xlabel 'request size'
plot for [i=0:STATS_blocks-1] data index i using 1:5 with linespoints lc i+1 notitle, \
	for [i=0:STATS_blocks-1] data index i using 1:6 with lines lc i+1 dt 2 notitle
@key_panel
set key vertical maxrows 6 title "solid: CPU, dashed: busy\ndoorbell rows left out:\nno vCPU-thread CPU time"
plot for [i=0:STATS_blocks-1] data index i using 1:(NaN) with linespoints lc i+1 title columnhead(1)
unset multiplot
