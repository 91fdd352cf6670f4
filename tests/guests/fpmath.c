/* Floating point: arithmetic, sqrt, fused multiply-add, conversions between int and
 * float/double (including out-of-range ones, which RISC-V saturates), rounding modes,
 * exception flags, and libm. Results are printed exactly (%a and raw bits). */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t bits64(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

static uint32_t bits32(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof(u));
	return u;
}

/* volatile: keep the compiler from folding the operations at build time. */
static volatile double dv[] = {1.0, -2.5, 0.1, 3.0, 1e308, 1e-310, -0.0, 7.0, 1e19, -1e19};
static volatile float fv[] = {1.0f, -2.5f, 0.1f, 3.0f, 3e38f, 1e-40f, 16777217.0f};

static void show_flags(const char *what)
{
	printf("%s flags:%s%s%s%s%s\n", what, fetestexcept(FE_INEXACT) ? " inexact" : "",
	       fetestexcept(FE_DIVBYZERO) ? " divbyzero" : "",
	       fetestexcept(FE_UNDERFLOW) ? " underflow" : "",
	       fetestexcept(FE_OVERFLOW) ? " overflow" : "",
	       fetestexcept(FE_INVALID) ? " invalid" : "");
	feclearexcept(FE_ALL_EXCEPT);
}

int main(void)
{
	double one = dv[0], third = one / dv[3];
	printf("1/3 = %a %016llx\n", third, (unsigned long long)bits64(third));
	printf("ops: %a %a %a %a\n", dv[1] + dv[2], dv[1] - dv[2], dv[1] * dv[2], dv[1] / dv[2]);
	printf("sqrt: %a %a %a %a\n", sqrt(dv[3]), sqrt(dv[2]), sqrt(dv[6]), sqrt(dv[5]));
	printf("sqrt(-1) is nan: %d\n", isnan(sqrt(dv[1])));
	printf("fma: %a vs %a\n", fma(dv[2], dv[3], -0.3), dv[2] * dv[3] - 0.3);
	printf("overflow: %g %g underflow: %a\n", dv[4] * 10, -dv[4] * 10, dv[5] / 1e10);
	printf("min/max: %g %g %g\n", fmin(dv[1], dv[2]), fmax(dv[1], NAN), fmin(dv[6], 0.0));
	printf("copysign/abs: %g %g %g\n", copysign(3.0, dv[6]), fabs(dv[1]), -dv[6]);

	float f = fv[0] / fv[3];
	printf("float 1/3 = %a %08x\n", (double)f, bits32(f));
	printf("float ops: %a %a %a\n", (double)(fv[1] * fv[2]), (double)sqrtf(fv[2]),
	       (double)(fv[4] * 10.0f));
	printf("float denormal %a, 16777217f=%.1f\n", (double)fv[5], (double)fv[6]);
	printf("float<->double: %a %a\n", (double)(float)dv[2], (double)(float)(double)fv[2]);

	feclearexcept(FE_ALL_EXCEPT);
	volatile double q = one / dv[3];
	show_flags("1/3");
	q = one / dv[6];
	show_flags("1/-0");
	q = sqrt(dv[1]);
	show_flags("sqrt(-2.5)");
	q = dv[4] * dv[4];
	show_flags("1e308^2");
	(void)q;

	static const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
	static const char *names[] = {"nearest", "upward", "downward", "towardzero"};
	for (int i = 0; i < 4; i++) {
		fesetround(modes[i]);
		printf("%-10s 1/3=%a -1/3=%a rint(2.5)=%g rint(-2.5)=%g lrint(7.5)=%ld\n", names[i],
		       one / dv[3], -one / dv[3], rint(2.5 * dv[0]), rint(-2.5 * dv[0]),
		       lrint(7.5 * dv[0]));
	}
	fesetround(FE_TONEAREST);

	for (int i = 0; i < 10; i++) {
		double d = dv[i] * 2.75;
		printf("conv %a: int=%d long=%ld uint=%u ulong=%lu float=%a round=%ld floor=%g "
		       "ceil=%g trunc=%g\n",
		       d, (int)d, (long)d, (unsigned)d, (unsigned long)d, (double)(float)d, lround(d),
		       floor(d), ceil(d), trunc(d));
	}
	volatile long longs[] = {0, -1, 9007199254740993L, INT64_MIN, INT64_MAX};
	volatile unsigned long ulongs[] = {0, 1, UINT64_MAX, (1UL << 63) + 1};
	for (int i = 0; i < 5; i++)
		printf("long %ld -> double %a float %a\n", longs[i], (double)longs[i],
		       (double)(float)longs[i]);
	for (int i = 0; i < 4; i++)
		printf("ulong %lu -> double %a float %a\n", ulongs[i], (double)ulongs[i],
		       (double)(float)ulongs[i]);
	volatile int ints[] = {0, -7, 2147483647, -2147483647 - 1};
	for (int i = 0; i < 4; i++)
		printf("int %d -> double %a float %a\n", ints[i], (double)ints[i], (double)(float)ints[i]);

	double x = dv[2] * 7.0;
	printf("libm: exp=%.17g log=%.17g pow=%.17g sin=%.17g cos=%.17g atan2=%.17g\n", exp(x),
	       log(x), pow(x, 1.5), sin(x), cos(x), atan2(x, -1.0));
	printf("libm: fmod=%.17g hypot=%.17g cbrt=%.17g tanh=%.17g\n", fmod(dv[7], dv[2]),
	       hypot(dv[3], 4.0), cbrt(-27.0 * dv[0]), tanh(dv[1]));
	printf("compare nan: %d %d %d %d\n", NAN == NAN, NAN < one, isless(NAN, one),
	       isunordered(NAN, one));
	printf("classify: %d %d %d %d %d\n", fpclassify(dv[0]), fpclassify(dv[5]),
	       fpclassify(dv[6]), fpclassify(dv[4] * 10), fpclassify(dv[4] * 10 - dv[4] * 10));
	printf("eps: %a %a\n", DBL_EPSILON, (double)FLT_EPSILON);
	return 0;
}
