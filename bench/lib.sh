# bench/lib.sh - helpers shared by the benchmark scripts; sourced, never run:
#	. "$(dirname "$0")/lib.sh"

# median: the median of the numbers on stdin, one a line (the mean of the two middle
# ones for an even count); prints nothing for no input.
median() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# quartiles: the first and third quartiles of the numbers on stdin, as "Q1-Q3".
quartiles() {
	sort -g | awk '{ v[NR] = $1 }
		END { printf "%.3f-%.3f", v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)] }'
}

# percentiles FILE: the 10th and 25th percentiles of the numbers in FILE, on one line.
percentiles() {
	sort -g "$1" | awk '{ v[NR] = $1 } END { print v[int(NR / 10) + 1], v[int(NR / 4) + 1] }'
}
