# Shared look of every pagegate figure, loaded before the figure's own script.
# Expects: term ('png', 'svg' or 'pdf'), out (the file to write).  Sized for one column
# of a two-column paper (3.5 in wide); colours are the Okabe-Ito colour-blind-safe set.
if (term eq 'png') {
	set terminal pngcairo size 1050,820 enhanced font 'DejaVu Sans,19' linewidth 2.5
} else {
	if (term eq 'svg') {
		set terminal svg size 525,410 enhanced font 'DejaVu Sans,10' linewidth 1.3 background rgb 'white'
	} else {
		set terminal pdfcairo size 3.5in,2.75in enhanced font 'DejaVu Sans,7' linewidth 1.5
	}
}
set output out
set border 3
set tics nomirror out
set grid xtics ytics lc rgb '#e0e0e0' lw 0.5
set key noenhanced
set linetype 1 lc rgb '#0072B2' pt 7 ps 0.9 dt 1
set linetype 2 lc rgb '#D55E00' pt 5 ps 0.9 dt 1
set linetype 3 lc rgb '#009E73' pt 9 ps 1.0 dt 1
set linetype 4 lc rgb '#CC79A7' pt 13 ps 1.0 dt 1
set linetype 5 lc rgb '#E69F00' pt 11 ps 1.0 dt 1
set linetype 6 lc rgb '#56B4E9' pt 3 ps 0.9 dt 1
set linetype 7 lc rgb '#000000' pt 1 ps 0.9 dt 1
set linetype 8 lc rgb '#999999' pt 2 ps 0.9 dt 1
set linetype cycle 8
# Size axis in bytes with binary prefixes (4 KiB ... 64 MiB).
set format x '%.0b%BB'
# A multiplot's shared key: `@key_panel` turns the next panel into a key alone (no border,
# tics, labels or grid); that panel plots NaN series for their titles.
key_panel = "unset border; unset tics; unset xlabel; unset ylabel; unset title; unset grid; unset logscale; " . \
	"set xrange [0:1]; set yrange [0:1]; set key center center horizontal maxrows 3 spacing 1.1"
