/* Process entry point shared by the samples: calls main(argc, argv, envp)
 * and passes its return value to exit_group.
 *
 * The kernel (or the emulator) enters here with sp pointing at argc, followed
 * by argv[], a NULL, envp[], a NULL and the auxiliary vector.
 */
	.section .text._start, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	/* The linker relaxes some accesses to be gp-relative, so gp must hold
	 * __global_pointer$ before any C runs; norelax keeps this very load from
	 * being relaxed against a gp that is not set yet. */
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	ld	a0, 0(sp)		/* argc */
	addi	a1, sp, 8		/* argv */
	slli	t0, a0, 3
	add	a2, a1, t0
	addi	a2, a2, 8		/* envp: just past argv's NULL */
	call	main
	li	a7, 94			/* exit_group(main's result) */
	ecall
	.size _start, . - _start
