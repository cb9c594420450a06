# Latency CDF at queue depth 1 and one size, on one log axis: the ring rows' submit ->
# seen latency from the guest's histogram (solid: a line across each bucket from its start
# at the share before it to its end at the share after it, the requests taken as spread
# evenly inside a bucket, which is at most 25 % wide), then each doorbell row's transfers
# (steps, one per repetition: its total_ns, over the window the title says — `transfer`
# leaves out the device's EXECUTE, which a ring request includes).  Guest TSC only: no
# host stamp is mixed in, so the clock check does not apply.
# data: latency-cdf-<facet>.dat (the nhist histogram blocks first, then the transfers;
# "ns share"); title, nhist, size.
stats data using 1 nooutput
set title title.', '.size.' requests' noenhanced
set logscale x 10
set format x '%g'
set xlabel 'latency (us), submit -> completion seen by the guest'
set ylabel 'share of requests'
set yrange [0:1]
set key below horizontal maxcols 2 spacing 1.1
plot for [i=0:nhist-1] data index i using ($1/1e3):2 with lines lw 1.5 lc i+1 title columnhead(1), \
	for [i=nhist:STATS_blocks-1] data index i using ($1/1e3):2 with steps lw 1.5 dt 2 lc i+1 title columnhead(1)
