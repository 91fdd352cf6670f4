/* Static glibc hello: measures start-up (loader, libc init, a few syscalls). */
#include <stdio.h>

int main(void)
{
	puts("Hello from a static glibc guest!");
	return 0;
}
