/* Prints what the initial stack holds: argc, then each argv entry, then each
 * envp entry, one per line. */
#include "sys.h"

int main(int argc, char **argv, char **envp)
{
	print_str("argc=");
	print_u64((unsigned long)argc);
	print_str("\n");
	for (int i = 0; i < argc; i++) {
		print_str("argv[");
		print_u64((unsigned long)i);
		print_str("]=");
		print_str(argv[i]);
		print_str("\n");
	}
	for (char **entry = envp; *entry; entry++) {
		print_str("env ");
		print_str(*entry);
		print_str("\n");
	}
	return 0;
}
