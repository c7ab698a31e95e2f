/* The program of case 0030: half its time in its own prog_spin, half in libhot's lib_burn;
 * it prints MSG, given on the command line, to show the argument arrived whole. */
#include <stdio.h>

#ifndef MSG
#define MSG "no MSG"
#endif

double lib_burn(volatile long n);

__attribute__((noinline)) static long prog_spin(volatile long n)
{
	long s = 0;

	for (long i = 0; i < n; i++)
		s += i % 7;
	return s;
}

int main(void)
{
	long a = prog_spin(300000000);
	double b = lib_burn(100000000);

	printf("%s\n%ld %d\n", MSG, a, b > 0);
	return 0;
}
