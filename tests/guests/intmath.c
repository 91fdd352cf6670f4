/* 64- and 32-bit integer arithmetic: signed division and remainder of negative numbers,
 * the RISC-V results of division by zero and overflow (via the instructions themselves,
 * which C leaves undefined), high multiplies, shifts, wrap-around and 128-bit math. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#define RISCV_OP(name, insn, type)                                                          \
	static type name(type a, type b)                                                        \
	{                                                                                       \
		type r;                                                                             \
		__asm__(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));                             \
		return r;                                                                           \
	}

RISCV_OP(div_insn, "div", int64_t)
RISCV_OP(rem_insn, "rem", int64_t)
RISCV_OP(divu_insn, "divu", uint64_t)
RISCV_OP(remu_insn, "remu", uint64_t)
RISCV_OP(divw_insn, "divw", int64_t)
RISCV_OP(remw_insn, "remw", int64_t)
RISCV_OP(divuw_insn, "divuw", int64_t)
RISCV_OP(remuw_insn, "remuw", int64_t)
RISCV_OP(mulh_insn, "mulh", int64_t)
RISCV_OP(mulhu_insn, "mulhu", uint64_t)
RISCV_OP(mulhsu_insn, "mulhsu", int64_t)
RISCV_OP(mulw_insn, "mulw", int64_t)

static volatile int64_t values[] = {0, 1, -1, 7, -7, 3, -3, 1000000007, INT64_MIN, INT64_MAX,
                                    INT32_MIN, INT32_MAX, 0x123456789abcdefLL};
enum { NVALUES = sizeof(values) / sizeof(values[0]) };

int main(void)
{
	for (int i = 0; i < NVALUES; i++) {
		for (int j = 0; j < NVALUES; j++) {
			int64_t a = values[i], b = values[j];
			printf("%" PRId64 " %" PRId64 ": div=%" PRId64 " rem=%" PRId64 " divu=%" PRIu64
			       " remu=%" PRIu64 " divw=%" PRId64 " remw=%" PRId64 " divuw=%" PRId64
			       " remuw=%" PRId64 " mulh=%" PRId64 " mulhu=%" PRIu64 " mulhsu=%" PRId64
			       " mul=%" PRId64 " mulw=%" PRId64 "\n",
			       a, b, div_insn(a, b), rem_insn(a, b), divu_insn(a, b), remu_insn(a, b),
			       divw_insn(a, b), remw_insn(a, b), divuw_insn(a, b), remuw_insn(a, b),
			       mulh_insn(a, b), mulhu_insn(a, b), mulhsu_insn(a, b),
			       (int64_t)((uint64_t)a * (uint64_t)b), mulw_insn(a, b));
		}
	}
	for (int i = 0; i < NVALUES; i++) {
		int64_t a = values[i];
		uint64_t u = (uint64_t)a;
		int32_t w = (int32_t)a;
		printf("shifts %" PRId64 ": sra=%" PRId64 " %" PRId64 " srl=%" PRIu64 " sll=%" PRIu64
		       " sraw=%d srlw=%u sllw=%d\n",
		       a, a >> 1, a >> 63, u >> 7, u << 13, w >> 5, (uint32_t)w >> 5,
		       (int32_t)((uint32_t)w << 9));
		printf("bits %" PRId64 ": popcount=%d clz=%d ctz=%d bswap=%016" PRIx64 "\n", a,
		       __builtin_popcountll(u), u ? __builtin_clzll(u) : 64,
		       u ? __builtin_ctzll(u) : 64, __builtin_bswap64(u));
		printf("c div %" PRId64 ": /-3=%" PRId64 " %%-3=%" PRId64 " /10=%" PRId64
		       " %%10=%" PRId64 " u/10=%" PRIu64 "\n",
		       a, a / -3, a % -3, a / 10, a % 10, u / 10);
	}
	uint64_t big = UINT64_MAX;
	uint32_t small = UINT32_MAX;
	printf("wrap: %" PRIu64 " %u %" PRIu64 " %u\n", big + 2, small + 2, big * big,
	       small * small);
	__int128 p = (__int128)values[9] * values[9];
	unsigned __int128 q = (unsigned __int128)(uint64_t)values[8] * 0xfedcba9876543210ULL;
	printf("int128: hi=%016" PRIx64 " lo=%016" PRIx64 " q/7: %016" PRIx64 "%016" PRIx64
	       " q%%1000=%" PRIu64 "\n",
	       (uint64_t)(p >> 64), (uint64_t)p, (uint64_t)((q / 7) >> 64), (uint64_t)(q / 7),
	       (uint64_t)(q % 1000));
	uint64_t acc = 1;
	for (int i = 0; i < 100; i++)
		acc = acc * 6364136223846793005ULL + 1442695040888963407ULL;
	printf("lcg=%" PRIu64 "\n", acc);
	return 0;
}
