# Upstream attempts per second over virtual time, one line per policy, from the data that
# build/fleet/fleet writes for scenarios a and b (its first seed): fleet-a.png and
# fleet-b.png, a panel per refusal cost. make fleet runs it:
#     gnuplot -e "dir='build/fleet'" tests/bench/fleet.gp
if (!exists("dir")) dir = "build/fleet"
C = 20  # the provider's capacity, requests per second

set terminal pngcairo size 1500,1000 font ",10" noenhanced
# the simple policies (columns 2-6) dashed, llmres (7-10) solid and thicker
array colour[9] = ["#888888", "#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#0072b2", "#d55e00", "#000000", "#b8a000"]
set key outside right top title "policy"
set xlabel "virtual time, s"
set ylabel "upstream attempts per second"
set grid
set style rectangle fillcolor rgb "#e8e8e8" fillstyle solid noborder

do for [s in "a b"] {
    set output sprintf("%s/fleet-%s.png", dir, s)
    set multiplot layout 2,1 title sprintf("Scenario %s: what the provider received (dashed: its capacity C)", s)
    # b: the outage; a: the window whose arrivals are measured
    if (s eq "b") { set object 1 rectangle from 60, graph 0 to 90, graph 1 behind } \
    else { set object 1 rectangle from 120, graph 0 to 420, graph 1 behind fillcolor rgb "#f4f4f4" }
    do for [cost in "0 0.05"] {
        file = sprintf("%s/fleet-%s-cost%s.dat", dir, s, cost)
        stats file using 1 nooutput
        set title sprintf("a refusal costs the provider %s tokens%s", cost, s eq "b" ? "; grey: the outage" : "; grey: arrivals measured")
        plot for [i = 2:STATS_columns] file using 1:i with lines lc rgb colour[(i - 2) % 9 + 1] \
                 dashtype 1 + (i <= 6) lw (i <= 6 ? 1.2 : 2) title columnhead(i), \
             C with lines dashtype 2 lc rgb "black" title "C"
    }
    unset multiplot
    unset object 1
}
