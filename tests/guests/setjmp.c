/* setjmp/longjmp: jumps out of nested calls, the value 0 becoming 1, locals kept in
 * volatile variables, callee-saved registers (and FP ones) restored, sigsetjmp too. */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf env;
static int depth_reached;

static void descend(int depth, int jump_at)
{
	depth_reached = depth;
	if (depth > 100)
		return;
	if (depth == jump_at)
		longjmp(env, depth * 10);
	descend(depth + 1, jump_at);
	printf("never printed\n");
}

static double fp_work(double x)
{
	double a = x * 1.5, b = x + 0.25, c = x / 3.0;
	for (int i = 0; i < 5; i++) {
		a = a * 1.0001 + b;
		b = b - c * 0.5;
		c = c + a * 0.001;
	}
	return a + b + c;
}

int main(void)
{
	for (volatile int jump_at = 1; jump_at <= 4; jump_at++) {
		volatile int attempts = 0;
		int value = setjmp(env);
		attempts++;
		if (value == 0)
			descend(1, jump_at);
		printf("jump_at=%d value=%d depth=%d attempts=%d\n", jump_at, value, depth_reached,
		       attempts);
	}

	volatile int zero_value = -1;
	if ((zero_value = setjmp(env)) == 0)
		longjmp(env, 0);
	printf("longjmp(env, 0) returns %d\n", zero_value);

	/* Values live in callee-saved integer and FP registers across the jump. */
	register long kept = 12345;
	double kept_fp = fp_work(2.0);
	volatile int rounds = 0;
	if (setjmp(env) < 3) {
		rounds++;
		fp_work((double)rounds);
		longjmp(env, rounds);
	}
	printf("rounds=%d kept=%ld kept_fp=%.12g\n", rounds, kept, kept_fp);

	sigjmp_buf sigenv;
	volatile int sig_rounds = 0;
	int got = sigsetjmp(sigenv, 1);
	if (got < 2) {
		sig_rounds++;
		siglongjmp(sigenv, got + 1);
	}
	printf("sigsetjmp got=%d rounds=%d\n", got, sig_rounds);
	return 0;
}
