# bench/lib.sh - helpers shared by the benchmark scripts; sourced, never run:
#	. "$(dirname "$0")/lib.sh"

# median: the median of the numbers on stdin, one a line (the mean of the two middle
# ones for an even count); prints nothing for no input.
median() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
