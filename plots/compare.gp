# Two runs overlaid: run A dashed, run B solid, same colour per transport row.
# data: compare-<facet>.dat (nseries blocks of A, then nseries of B); name_a, name_b.
set title title noenhanced
set logscale x 2
set logscale y 10
set xlabel 'transfer size'
set ylabel 'throughput (MB/s, MB = 10^6 B)'
set key below horizontal maxrows 4 spacing 1.1
plot for [i=0:nseries-1] data index i using 1:2 with linespoints dt 2 lc i+1 title 'A '.columnhead(1), \
	for [i=0:nseries-1] data index nseries+i using 1:2:3:4 with yerrorlines dt 1 lc i+1 title 'B '.columnhead(1)
