# gnuplot script of `make bench`: draws build/bench/requests.png from the
# table bench/report.py writes to build/bench/requests.dat: one row per
# configuration and, per server, four columns: the median of its runs, the
# lowest, the highest, and 1 if some clients got no answer (else 0).
# One group of bars per configuration, one bar per server; the whisker spans
# the runs, so machine drift shows. Run from the repository's top folder as
#     gnuplot -e "servers=N; configurations=M" bench/requests.gp

set terminal pngcairo size 1400,700 font "sans,11"
# Ten distinct colours, one per server (gnuplot's default cycle has eight,
# so the ninth bar would repeat the first one's colour).
array colours[10] = ["#9400d3", "#009e73", "#56b4e9", "#e69f00", "#f0e442", \
                     "#0072b2", "#e51e10", "#202020", "#cc79a7", "#8b4513"]
do for [i=1:10] { set linetype i linecolor rgb colours[i] }
set output "build/bench/requests.png"
set title "make bench: requests per second on 127.0.0.1, higher is better"
set datafile missing "NaN"  # a server that did not run in that configuration
set datafile columnheaders  # the first row names the columns, in every plot below
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top vertical
set bmargin 5
set xrange [-0.6:configurations-0.4]
set yrange [0:*]
set ytics nomirror
set xtics nomirror
set border 3
set grid ytics
set format y "%.0s%c"
set ylabel "requests/s (bar: median of the runs; whisker: lowest to highest)"
set label 1 "Bars count answered requests only. \"clients lost\": while wrk ran, fresh connections got no answer at all\n(the server served some clients and left the others waiting: the table's 'new conn' column)." \
    at screen 0.01, screen 0.03 font "sans,9"

# The histogram puts configuration number k at x = k, and bar i of its
# group at x = k - 0.5 + (i + 1.5) / (servers + 2) (one unit of the gap on
# each side); the labels go there, above the bars of servers that lost clients.
bar_x(i) = $0 - 0.5 + (i + 1.5) / (servers + 2)

plot for [i=0:servers-1] "build/bench/requests.dat" \
         using (column(2+4*i)):(column(3+4*i)):(column(4+4*i)):xtic(1) title columnheader(2+4*i), \
     for [i=0:servers-1] "build/bench/requests.dat" \
         using (bar_x(i)):(column(4+4*i)):(column(5+4*i) > 0 ? "clients lost" : "") \
         with labels rotate left offset 0,1 font "sans,9" textcolor rgb "#b00000" notitle
