/* The vector state in the signal frame, as Linux (6.5 on) documents it: a thread that has
   used V gets a record in its frame's extension area (struct __riscv_extra_ext_header in
   the F/D union: a reserved word, then headers { magic, size }): RISCV_V_MAGIC, then struct
   __riscv_v_ext_state { vstart, vl, vtype, vcsr, vlenb, datap } and the 32 registers at
   datap, then an END header. rt_sigreturn restores vector registers and CSRs from it (a
   handler that clobbers them leaves the interrupted code's state intact; one that edits the
   record changes it). A thread that never used V gets no record. Debian 12's headers
   predate the record, so its structures are spelled out here. Prints what it finds. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#define RISCV_V_MAGIC 0x53465457u
#define END_MAGIC 0u

struct context_header { uint32_t magic, size; };
struct v_ext_state { unsigned long vstart, vl, vtype, vcsr, vlenb; void *datap; };

static unsigned long vlenb;
static int mode;  /* 0: before V was used; 1: clobber; 2: inspect and edit */

static struct context_header *first_header(void *context) {
    ucontext_t *uc = context;
    /* sc_regs (32 words), then the F/D union whose last 8 bytes are the first header */
    char *fp_state = (char *)&uc->uc_mcontext + 32 * sizeof(unsigned long);
    uint32_t reserved;
    memcpy(&reserved, fp_state + 516, 4);
    if (reserved) printf("reserved word %u\n", reserved);
    return (struct context_header *)(fp_state + 520);
}

static void handler(int sig, siginfo_t *info, void *context) {
    (void)sig; (void)info;
    struct context_header *header = first_header(context);
    if (mode == 0) {
        printf("no V used: first header magic %#x size %u\n", header->magic, header->size);
        return;
    }
    if (header->magic != RISCV_V_MAGIC) {
        printf("no vector record: magic %#x\n", header->magic);
        return;
    }
    struct v_ext_state *state = (struct v_ext_state *)(header + 1);
    unsigned long expected_size = sizeof *header + sizeof *state + 32 * vlenb;
    printf("record size %s, vlenb %s, datap %s\n",
           header->size == expected_size ? "riscv_v_sc_size" : "wrong",
           state->vlenb == vlenb ? "right" : "wrong",
           (char *)state->datap == (char *)(state + 1) ? "after the state" : "elsewhere");
    printf("vstart %lu vl %lu vtype %#lx vcsr %#lx\n", state->vstart, state->vl, state->vtype,
           state->vcsr);
    uint32_t *v1 = (uint32_t *)((char *)state->datap + vlenb);
    printf("v1 in the frame: %x %x %x\n", v1[0], v1[1], v1[2]);
    struct context_header *end = (struct context_header *)((char *)header + header->size);
    printf("then magic %#x size %u\n", end->magic, end->size);
    if (mode == 1) {  /* clobber every vector register and CSR */
        __asm__ volatile("vsetvli t0, zero, e8, m8, ta, ma\n"
                         "vmv.v.i v0, -1\n vmv.v.i v8, -1\n vmv.v.i v16, -1\n vmv.v.i v24, -1\n"
                         "csrwi vxrm, 1\n csrwi vxsat, 0" : : : "t0");
    } else {  /* edit the record: v1[1] and vl */
        v1[1] = 0xEDED;
        state->vl = 2;
    }
}

static void report(const char *when) {
    uint32_t out[4] = {0};
    unsigned long vl, vtype, vxrm, vxsat;
    __asm__ volatile("csrr %0, vl\n csrr %1, vtype\n csrr %2, vxrm\n csrr %3, vxsat\n"
                     "vsetivli zero, 4, e32, m1, ta, ma\n vse32.v v1, (%4)\n"
                     "vsetvl zero, %0, %1"
                     : "=&r"(vl), "=&r"(vtype), "=&r"(vxrm), "=&r"(vxsat) : "r"(out) : "memory");
    printf("%s: vl %lu vtype %#lx vxrm %lu vxsat %lu v1 %x %x %x\n", when, vl, vtype, vxrm,
           vxsat, out[0], out[1], out[2]);
}

int main(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = handler;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &action, 0);
    raise(SIGUSR1);  /* before any vector instruction */
    __asm__ volatile("csrr %0, vlenb" : "=r"(vlenb));
    static const uint32_t values[4] = {0x1111, 0x2222, 0x3333, 0x4444};
    for (mode = 1; mode <= 2; mode++) {
        __asm__ volatile("vsetivli zero, 4, e32, m1, ta, ma\n vle32.v v1, (%0)\n"
                         "vsetivli zero, 3, e32, m1, tu, mu\n csrwi vxrm, 2\n csrwi vxsat, 1"
                         : : "r"(values) : "memory");
        raise(SIGUSR1);
        report(mode == 1 ? "after a clobbering handler" : "after an editing handler");
    }
    return 0;
}
