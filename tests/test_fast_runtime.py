"""The compiled engine's floating-point fast paths against softfloat, operation by operation.

Each sf_<op> of emulator.fast_runtime either leaves the operation to the reference engine (it
sets the status word) or must give softfloat's bits and flags exactly. Operands are drawn from
ordinary numbers of many magnitudes, halfway and integral values, the limits of each format,
zeros, subnormals, infinities and NaNs of both kinds, in all five rounding modes; the tests
also check that ordinary operands take the fast path, so that it cannot silently decline
everything.
"""

import importlib.util
import random
import struct
import sys

import numpy as np
import pytest
from pyemu.emulator import softfloat
from pyemu.emulator.engine_fast import cache_dir, generator_digest, runtime_source

FORMATS = (softfloat.F32, softfloat.F64)
MODES = (softfloat.RNE, softfloat.RTZ, softfloat.RDN, softfloat.RUP, softfloat.RMM)
CASES = 3000


@pytest.fixture(scope="module")
def runtime():
    path = cache_dir() / f"fast_runtime_rv64_{generator_digest(64)}.py"
    if not path.exists():
        path.write_text("\n".join(runtime_source(64)))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


class Caller:
    """Calls an sf_<op> as the loop does and says whether it took the fast path."""

    def __init__(self, runtime):
        self.runtime = runtime
        self.st = np.zeros(1, dtype=np.int64)
        words = np.zeros(2, dtype=np.int64)
        self.scratch = (words, words.view(np.float64), words.view(np.float32))

    def __call__(self, name, *args):
        self.st[0] = 0
        result = getattr(self.runtime, f"sf_{name}")(self.st, *self.scratch, *args)
        return None if self.st[0] else result


def signed(bits: int) -> int:
    return bits - (1 << 64) if bits >> 63 else bits


def bits_of(number: float, fmt) -> int:
    if fmt is softfloat.F64:
        return struct.unpack("<Q", struct.pack("<d", number))[0]
    return struct.unpack("<I", struct.pack("<f", number))[0]


def random_value(rng: random.Random, fmt) -> int:
    """Bits of a value of `fmt`: mostly ordinary numbers, often special ones."""
    kind = rng.random()
    if kind < 0.15:
        special = [0, fmt.sign_bit, fmt.inf, fmt.sign_bit | fmt.inf, fmt.canonical_nan,
                   fmt.inf | 1, fmt.max_finite, fmt.sign_bit | fmt.max_finite, 1,
                   fmt.hidden_bit, fmt.hidden_bit - 1, fmt.sign_bit | 3]
        return rng.choice(special)
    if kind < 0.35:  # integers and halfway values, for the conversions
        number = rng.choice([rng.randrange(-2**40, 2**40), rng.randrange(-100, 100) + 0.5,
                             rng.choice([2.0**31, -2.0**31, 2.0**32, 2.0**63, -2.0**63, 2.0**64])
                             + rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0, 4096.0, -4096.0])])
        if fmt is softfloat.F32:
            number = float(np.float32(number))
        return bits_of(number, fmt)
    if kind < 0.45:  # random bits: any exponent
        return rng.getrandbits(fmt.width)
    exponent = rng.randrange(-40, 40)
    return bits_of(rng.uniform(-1, 1) * 2.0 ** exponent, fmt) if fmt is softfloat.F64 \
        else bits_of(float(np.float32(rng.uniform(-1, 1) * 2.0 ** exponent)), fmt)


def cases(seed):
    """(rng, fmt index, format, rounding mode) for each case: both formats, all five modes."""
    rng = random.Random(seed)
    for case in range(CASES):
        yield rng, case % 2, FORMATS[case % 2], MODES[(case // 2) % 5]


def operand(rng: random.Random, fmt_index: int) -> tuple[int, int]:
    """Bits of a random value, and the same as the loop holds them (int64 for doubles)."""
    bits = random_value(rng, FORMATS[fmt_index])
    return bits, signed(bits) if fmt_index else bits


def check(caller, name, expected, *args):
    got = caller(name, *args)
    if got is None:
        return False
    bits, flags = expected
    assert (int(got[0]) & ((1 << 64) - 1), int(got[1])) == (bits & ((1 << 64) - 1), flags), \
        f"sf_{name}{args}: fast {int(got[0]):#x}/{int(got[1])}, softfloat {bits:#x}/{flags}"
    return True


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "fma_"])
def test_arithmetic_matches_softfloat(runtime, name):
    caller = Caller(runtime)
    fast = 0
    for rng, fmt_index, fmt, rm in cases(name):
        (a, sa), (b, sb), (c, sc) = (operand(rng, fmt_index) for _ in range(3))
        if name == "fma_":
            negate_product, negate_addend = rng.random() < 0.5, rng.random() < 0.5
            expected = softfloat.fma(fmt, a, b, c, rm, negate_product, negate_addend)
            fast += check(caller, "fma", expected, fmt_index, sa, sb, sc, rm, negate_product,
                          negate_addend)
        else:
            expected = getattr(softfloat, name)(fmt, a, b, rm)
            fast += check(caller, name, expected, fmt_index, sa, sb, rm)
    assert fast > CASES // 3, f"only {fast} of {CASES} took the fast path"


def test_results_rounded_up_to_the_smallest_normal_number_raise_underflow(runtime):
    """The smallest normal times the largest number below one, or divided by the smallest
    above one, rounds to the smallest normal in RNE and RUP, yet is tiny before rounding to
    the format's exponent range: RISC-V raises underflow (qemu does). The fast path must
    leave it to softfloat or agree."""
    caller = Caller(runtime)
    for fmt_index, fmt in enumerate(FORMATS):
        below_one = bits_of(1.0, fmt) - 1
        above_one = bits_of(1.0, fmt) + 1
        for rm in MODES:
            for name, b in (("mul", below_one), ("div", above_one)):
                a = fmt.hidden_bit
                expected = getattr(softfloat, name)(fmt, a, b, rm)
                check(caller, name, expected, fmt_index, a, signed(b) if fmt_index else b, rm)


def test_sqrt_and_conversions_between_formats_match_softfloat(runtime):
    caller = Caller(runtime)
    fast = 0
    for rng, fmt_index, fmt, rm in cases(1):
        a, sa = operand(rng, fmt_index)
        fast += check(caller, "sqrt", softfloat.sqrt(fmt, a, rm), fmt_index, sa, rm)
        fast += check(caller, "convert", softfloat.convert(fmt, FORMATS[1 - fmt_index], a, rm),
                      fmt_index, 1 - fmt_index, sa, rm)
    assert fast > CASES // 2


def test_float_to_integer_matches_softfloat(runtime):
    caller = Caller(runtime)
    fast = 0
    for rng, fmt_index, fmt, rm in cases(2):
        a, sa = operand(rng, fmt_index)
        for width in (32, 64):
            for is_signed in (True, False):
                value, flags = softfloat.to_int(fmt, a, rm, width, is_signed)
                got = caller("to_int", fmt_index, sa, rm, width, is_signed)
                if got is None:
                    continue
                fast += 1
                mask = (1 << width) - 1
                assert (int(got[0]) & mask, int(got[1])) == (value & mask, flags), \
                    f"to_int({a:#x}, rm={rm}, {width}, signed={is_signed}): {got}"
    assert fast == CASES * 4, "every conversion to an integer has its fast path"


def test_integer_to_float_matches_softfloat(runtime):
    caller = Caller(runtime)
    fast = 0
    for rng, fmt_index, _, rm in cases(3):
        value = rng.choice([rng.getrandbits(64) - (1 << 63), rng.randrange(-2**25, 2**25),
                            rng.getrandbits(rng.randrange(1, 64)), -(1 << 63), (1 << 63) - 1])
        unsigned = rng.random() < 0.3
        expected = softfloat.from_int(FORMATS[fmt_index], value, rm, unsigned)
        fast += check(caller, "from_int", expected, fmt_index, value, rm, unsigned)
    assert fast > CASES * 3 // 4


def test_comparisons_min_max_and_class_match_softfloat(runtime):
    caller = Caller(runtime)
    for rng, fmt_index, fmt, _ in cases(4):
        (a, sa), (b, sb) = operand(rng, fmt_index), operand(rng, fmt_index)
        if rng.random() < 0.1:  # equal values, and zeros of both signs
            b = a ^ fmt.sign_bit if rng.random() < 0.5 else a
            sb = signed(b) if fmt_index else b
        for name in ("eq", "lt", "le", "min", "max"):
            assert check(caller, name, getattr(softfloat, name)(fmt, a, b), fmt_index, sa, sb)
        assert int(caller("classify", fmt_index, sa)) == softfloat.classify(fmt, a)


def test_directed_rounding_of_ordinary_operands_takes_the_fast_path(runtime):
    """(int)x is fcvt.w.d with rtz; sums and products in every mode but RMM stay compiled."""
    caller = Caller(runtime)
    x, y = signed(bits_of(2.7, softfloat.F64)), signed(bits_of(-0.1, softfloat.F64))
    assert caller("to_int", 1, y, softfloat.RTZ, 32, True) == (0, softfloat.NX)
    for rm in MODES[:4]:
        for name in ("add", "mul", "div"):
            assert caller(name, 1, x, y, rm) is not None, (name, rm)
        assert caller("fma", 1, x, y, x, rm, False, False) is not None, rm


def random_half(rng: random.Random) -> int:
    """Bits of a half: special values, ordinary and subnormal ones, any bits."""
    return rng.choice([0, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0x0001, 0x03FF, 0x0400,
                       0x7BFF, 0x3C00, rng.getrandbits(16), rng.getrandbits(16)])


def test_operations_that_never_leave_the_loop_match_softfloat(runtime):
    """Zfa's operations and the conversions to and from halves (Zfhmin) are complete in the
    loop: they must give softfloat's bits and flags for every operand, in every mode."""
    caller = Caller(runtime)
    half = softfloat.F16
    for rng, fmt_index, fmt, rm in cases("complete"):
        (a, sa), (b, sb) = operand(rng, fmt_index), operand(rng, fmt_index)
        exact = rng.random() < 0.5
        expected = [
            ("minimum", softfloat.minimum(fmt, a, b), (fmt_index, sa, sb)),
            ("maximum", softfloat.maximum(fmt, a, b), (fmt_index, sa, sb)),
            ("lt_quiet", softfloat.lt_quiet(fmt, a, b), (fmt_index, sa, sb)),
            ("le_quiet", softfloat.le_quiet(fmt, a, b), (fmt_index, sa, sb)),
            ("round_to_integral", softfloat.round_to_integral(fmt, a, rm, exact),
             (fmt_index, sa, rm, exact)),
            ("convert", softfloat.convert(fmt, half, a, rm), (fmt_index, 2, sa, rm)),
        ]
        h = random_half(rng)
        expected.append(("convert", softfloat.convert(half, fmt, h, rm), (2, fmt_index, h, rm)))
        if fmt_index:
            expected.append(("to_int_modular", softfloat.to_int_modular(fmt, a, 32),
                             (fmt_index, sa, 32)))
        for name, result, args in expected:
            assert check(caller, name, result, *args), f"sf_{name}{args} left the loop"
