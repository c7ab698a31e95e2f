/* Burns CPU in spinner until killed (the SIGKILL test), printing "ready" once running. */
#include <stdio.h>
#include "burn.h"

__attribute__((noinline)) void spinner(void)
{
	for (;;)
		spin_ms(100);
}

int main(void)
{
	puts("ready");
	fflush(stdout);
	spinner();
	return 0;
}
