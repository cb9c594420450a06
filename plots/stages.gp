# Where the time goes: one stacked bar per transport row and size (1-4 MiB), stages in
# milliseconds.  data: stages-<facet>.dat (bar, then exit .. guest).
set title title noenhanced
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.7
set ylabel 'time per transfer (ms)'
set yrange [0:*]
set xtics rotate by 40 right noenhanced scale 0
set format x '%g'
set grid noxtics ytics
set key below horizontal maxrows 2
plot for [c=2:8] data using c:xtic(1) title columnhead(c)
