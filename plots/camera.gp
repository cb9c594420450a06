# Camera scenario: cumulative distribution of frame latency (frame ready -> in the guest
# process), one line per transport.  data: camera-<preset>.dat (blocks: latency_ms share).
stats data using 1 nooutput
set title title noenhanced
set logscale x 10
set format x '%g'
set xlabel 'latency, frame ready -> in the guest (ms)'
set ylabel 'share of frames'
set yrange [0:1]
set key below horizontal maxrows 2 spacing 1.1
plot for [i=0:STATS_blocks-1] data index i using 1:2 with steps lw 1.5 title columnhead(1)
