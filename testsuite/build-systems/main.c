/* hot N: prints work_spin(N); the project's program and its test. */
#include <stdio.h>
#include <stdlib.h>
#include "work.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;

	printf("work_spin(%ld) = %ld\n", n, work_spin(n));
	return 0;
}
