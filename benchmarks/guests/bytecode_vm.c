/* A branchy glibc workload: a small register-machine bytecode interpreter
 * (switch dispatch, so indirect jumps and unpredictable branches) running a
 * memoised Collatz program over the starting values 1..argv[1]-1.
 * Prints a checksum of the step counts so a wrong emulation shows. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

enum opcode {
	OP_LOADI, /* r[a] = imm */
	OP_MOV,   /* r[a] = r[b] */
	OP_ADD,   /* r[a] += r[b] */
	OP_ADDI,  /* r[a] += imm */
	OP_MULI,  /* r[a] *= imm */
	OP_ANDI,  /* r[a] = r[b] & imm */
	OP_SHRI,  /* r[a] >>= imm */
	OP_LOAD,  /* r[a] = memory[r[b]] */
	OP_STORE, /* memory[r[a]] = r[b] */
	OP_JEQI,  /* if (r[a] == imm) goto target */
	OP_JLT,   /* if (r[a] < r[b]) goto target */
	OP_JZ,    /* if (r[a] == 0) goto target */
	OP_JMP,   /* goto target */
	OP_HALT,
};

struct instruction {
	uint8_t op, a, b;
	int64_t imm;
	int target;
};

enum { R_I, R_LIMIT, R_CHECKSUM, R_X, R_STEPS, R_TMP, REGISTER_COUNT };

/* Labels are instruction indexes into this program. */
enum { L_OUTER = 2, L_INNER = 4, L_EVEN = 11, L_COUNTED = 12, L_MEMO = 14, L_DONE = 16 };

/* For each i: follow x = i through Collatz steps until x drops below i,
 * whose step count is already stored, then store i's count and fold it into
 * the checksum. */
static const struct instruction program[] = {
	{ OP_LOADI, R_I, 0, 1, 0 },
	{ OP_LOADI, R_CHECKSUM, 0, 0, 0 },
	[L_OUTER] = { OP_MOV, R_X, R_I, 0, 0 },
	{ OP_LOADI, R_STEPS, 0, 0, 0 },
	[L_INNER] = { OP_JEQI, R_X, 0, 1, L_DONE },
	{ OP_JLT, R_X, R_I, 0, L_MEMO },
	{ OP_ANDI, R_TMP, R_X, 1, 0 },
	{ OP_JZ, R_TMP, 0, 0, L_EVEN },
	{ OP_MULI, R_X, 0, 3, 0 },
	{ OP_ADDI, R_X, 0, 1, 0 },
	{ OP_JMP, 0, 0, 0, L_COUNTED },
	[L_EVEN] = { OP_SHRI, R_X, 0, 1, 0 },
	[L_COUNTED] = { OP_ADDI, R_STEPS, 0, 1, 0 },
	{ OP_JMP, 0, 0, 0, L_INNER },
	[L_MEMO] = { OP_LOAD, R_TMP, R_X, 0, 0 },
	{ OP_ADD, R_STEPS, R_TMP, 0, 0 },
	[L_DONE] = { OP_STORE, R_I, R_STEPS, 0, 0 },
	{ OP_MULI, R_CHECKSUM, 0, 31, 0 },
	{ OP_ADD, R_CHECKSUM, R_STEPS, 0, 0 },
	{ OP_ADDI, R_I, 0, 1, 0 },
	{ OP_JLT, R_I, R_LIMIT, 0, L_OUTER },
	{ OP_HALT, 0, 0, 0, 0 },
};

static uint64_t run(const struct instruction *code, int64_t *reg, int64_t *memory)
{
	uint64_t executed = 0;
	for (int pc = 0;; executed++) {
		const struct instruction *in = &code[pc++];
		switch (in->op) {
		case OP_LOADI: reg[in->a] = in->imm; break;
		case OP_MOV: reg[in->a] = reg[in->b]; break;
		case OP_ADD: reg[in->a] += reg[in->b]; break;
		case OP_ADDI: reg[in->a] += in->imm; break;
		case OP_MULI: reg[in->a] *= in->imm; break;
		case OP_ANDI: reg[in->a] = reg[in->b] & in->imm; break;
		case OP_SHRI: reg[in->a] >>= in->imm; break;
		case OP_LOAD: reg[in->a] = memory[reg[in->b]]; break;
		case OP_STORE: memory[reg[in->a]] = reg[in->b]; break;
		case OP_JEQI: if (reg[in->a] == in->imm) pc = in->target; break;
		case OP_JLT: if (reg[in->a] < reg[in->b]) pc = in->target; break;
		case OP_JZ: if (reg[in->a] == 0) pc = in->target; break;
		case OP_JMP: pc = in->target; break;
		case OP_HALT: return executed;
		default: abort();
		}
	}
}

int main(int argc, char **argv)
{
	int64_t limit = argc > 1 ? strtoll(argv[1], NULL, 10) : 60000;
	if (limit < 2) {
		fprintf(stderr, "usage: %s [limit >= 2]\n", argv[0]);
		return 2;
	}
	int64_t *memory = calloc((size_t)limit, sizeof *memory);
	if (!memory) {
		perror("calloc");
		return 1;
	}
	int64_t reg[REGISTER_COUNT] = { [R_LIMIT] = limit };
	uint64_t executed = run(program, reg, memory);
	printf("collatz below %" PRId64 ": %" PRIu64 " bytecodes, checksum %" PRIu64 "\n",
	       limit, executed, (uint64_t)reg[R_CHECKSUM]);
	free(memory);
	return 0;
}
