/* libwork's one function: the project's hot spot. */
#include "work.h"

__attribute__((noinline)) static long work_step(volatile long i)
{
	return i % 11;
}

long work_spin(long n)
{
	long s = 0;

	for (long i = 0; i < n; i++)
		s += work_step(i);
	return s;
}
