/* The shared library of case 0030: its hot function calls one more function, so that the
 * library refers to the runtime. */
__attribute__((noinline)) static double lib_step(volatile double x)
{
	return x * 1.0000001 + 0.5;
}

__attribute__((noinline)) double lib_burn(volatile long n)
{
	double s = 0;

	for (long i = 0; i < n; i++)
		s = lib_step(s) - 0.5;
	return s;
}
