/* Writes numbered lines until its reader goes away. */
#include <stdio.h>

int main(void) {
    for (long i = 0;; i++)
        printf("line %ld\n", i);
}
