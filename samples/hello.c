/* The smallest useful guest: one write, then exit status 0. */
#include "sys.h"

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	print_str("Hello from pyemu!\n");
	return 0;
}
