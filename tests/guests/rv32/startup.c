/* The RV32 initial stack: argc, argv, envp and the auxiliary vector as 32-bit words. */
#include "rv32.h"

enum { AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
       AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
       AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_EXECFN = 31 };

void start_c(u32 *sp);

__attribute__((naked)) void _start(void) {
    __asm__("mv a0, sp\n"
            "j start_c");
}

static u32 aux(u32 *auxv, u32 key) {
    for (; auxv[0] != AT_NULL; auxv += 2)
        if (auxv[0] == key) return auxv[1];
    return 0xdeadbeef;
}

void start_c(u32 *sp) {
    u32 argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    show("argc", argc);
    for (u32 i = 1; i < argc; i++) {
        print(argv[i]);
        print("\n");
    }
    show("argv ends with NULL", argv[argc] == 0);
    char **env = envp; /* qemu 7.2 reverses the environment's order: not printed */
    int lang = 0;
    while (*env) lang += equal(*env++, "LANG=C", 7);
    show("environment", env - envp);
    show("LANG=C in it", lang);
    u32 *auxv = (u32 *)(env + 1);
    show("sp 16-byte aligned", ((u32)sp & 15) == 0);
    show("AT_PAGESZ", aux(auxv, AT_PAGESZ));
    show("AT_PHENT", aux(auxv, AT_PHENT));
    show("AT_PHNUM", aux(auxv, AT_PHNUM));
    show("AT_PHDR", aux(auxv, AT_PHDR));
    show("AT_ENTRY is _start", aux(auxv, AT_ENTRY) == (u32)_start);
    show("AT_BASE", aux(auxv, AT_BASE));
    show("AT_FLAGS", aux(auxv, AT_FLAGS));
    show("AT_UID", aux(auxv, AT_UID) == aux(auxv, AT_EUID));
    show("AT_GID", aux(auxv, AT_GID) == aux(auxv, AT_EGID));
    show("AT_CLKTCK", aux(auxv, AT_CLKTCK));
    show("AT_SECURE", aux(auxv, AT_SECURE));
    show("AT_HWCAP", aux(auxv, AT_HWCAP));
    const u8 *random = (const u8 *)aux(auxv, AT_RANDOM);
    volatile u8 seen = 0;
    for (int i = 0; i < 16; i++) seen = random[i]; /* readable (else SIGSEGV) */
    (void)seen;
    show("AT_RANDOM above the vector", (u32)random > (u32)auxv);
    print("AT_EXECFN ");
    print((const char *)aux(auxv, AT_EXECFN));
    print("\n");
    exit_group(argc);
}
