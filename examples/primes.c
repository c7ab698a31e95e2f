/*
 * The bundled example: two threads count primes below a limit, one by trial division and
 * one with a sieve, and the main thread checks that they agree. Built with the goprof
 * plugin and run with GOPROF_DB set, it leaves a CPU profile showing where each thread
 * spent its time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define LIMIT 3000000

__attribute__((noinline)) static int is_prime(unsigned n)
{
	if (n < 2)
		return 0;
	for (unsigned d = 2; d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

static void *count_by_division(void *out)
{
	unsigned count = 0;

	for (unsigned n = 0; n < LIMIT; n++)
		count += is_prime(n);
	*(unsigned *)out = count;
	return NULL;
}

__attribute__((noinline)) static unsigned sieve(unsigned char *composite, unsigned limit)
{
	unsigned count = 0;

	for (unsigned n = 2; n < limit; n++) {
		if (composite[n])
			continue;
		count++;
		for (unsigned long m = (unsigned long)n * n; m < limit; m += n)
			composite[m] = 1;
	}
	return count;
}

static void *count_by_sieve(void *out)
{
	unsigned count = 0;

	/* Sieved again and again, so that both threads do a comparable amount of work. */
	for (int round = 0; round < 20; round++) {
		unsigned char *composite = calloc(LIMIT, 1);
		if (!composite)
			return NULL;
		count = sieve(composite, LIMIT);
		free(composite);
	}
	*(unsigned *)out = count;
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	unsigned by_division = 0, by_sieve = 0;

	pthread_create(&a, NULL, count_by_division, &by_division);
	pthread_create(&b, NULL, count_by_sieve, &by_sieve);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("primes below %d: %u by division, %u by sieve\n", LIMIT, by_division, by_sieve);
	return by_division == by_sieve ? 0 : 1;
}
