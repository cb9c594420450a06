# Where a ring request's time goes: stacked bars of the six ring stages (us per request:
# medians over repetitions of per-request means) per ring row, at the facet's smallest and
# largest size, one panel each with its own scale, one key under both.  Rows with a stage not measured (queue,
# complete and notice mix guest and host stamps) are left out, not drawn short.
# data: ring-stages-<facet>.dat (nsizes blocks: a header line, then "row queue translate
# copy device complete notice"); title, nsizes, size1, size2.
set multiplot title title noenhanced
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.7
set yrange [0:*]
set xtics rotate by 40 right noenhanced scale 0
set format x '%g'
set grid noxtics ytics
unset key
set ylabel 'time per request (us)'
set size 1.0 / nsizes, 0.75
do for [i=1:nsizes] {
	set origin (i - 1.0) / nsizes, 0.16
	set title (i == 1 ? size1 : size2).' requests'
	plot for [c=2:7] data index i-1 using c:xtic(1) title columnhead(c)
}
set size 1, 0.14
set origin 0, 0
@key_panel
plot for [c=2:7] data index 0 using (NaN):(NaN) with boxes title columnhead(c)
unset multiplot
