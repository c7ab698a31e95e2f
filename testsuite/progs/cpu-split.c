/* One thread burns CPU in two functions, 3:1 (1500 ms in heavy, 500 ms in light). */
#include <stdio.h>
#include "burn.h"

__attribute__((noinline)) void heavy(void)
{
	spin_ms(1500);
}

__attribute__((noinline)) void light(void)
{
	spin_ms(500);
}

int main(void)
{
	heavy();
	light();
	puts("done");
	return 0;
}
