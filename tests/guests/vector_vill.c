/* vtype as read through the CSR: what start-up left, then after a vsetvl with a vtype the
   hart does not support (vill alone, bit XLEN-1), then after a legal one. */
#include <stdio.h>

static unsigned long read_vtype(void) {
    unsigned long vtype;
    __asm__ volatile("csrr %0, vtype" : "=r"(vtype));
    return vtype;
}

int main(void) {
    printf("start: vtype %#lx\n", read_vtype());
    unsigned long vl, bad = 1UL << 8;  /* a reserved vtype bit */
    __asm__ volatile("vsetvl %0, %1, %2" : "=r"(vl) : "r"(4UL), "r"(bad));
    printf("reserved bit: vl %lu vtype %#lx\n", vl, read_vtype());
    __asm__ volatile("vsetivli %0, 3, e16, m1, ta, ma" : "=r"(vl));
    printf("e16: vl %lu vtype %#lx\n", vl, read_vtype());
    return 0;
}
