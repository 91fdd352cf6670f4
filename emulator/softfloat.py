"""IEEE 754 binary32/binary64 arithmetic exactly as the RISC-V F and D extensions define it.

Operands and results are raw bit patterns held in Python ints; every operation returns its
result together with the RISC-V fflags it raises. No host floating point is involved: each
operation computes its exact result as an integer significand and a power-of-two exponent
(plus a sticky bit when div or sqrt leave a nonzero remainder) and hands that to the one
rounding routine, `round_pack`, so rounding, overflow, underflow and subnormals live in one
place.

RISC-V choices that IEEE 754 leaves open, or that differ from other ISAs:
- every NaN result is the canonical NaN; payloads are never propagated;
- tininess is detected after rounding, and UF is raised only when the result is also inexact;
- fma raises NV for 0 * inf even when the addend is a quiet NaN;
- min/max return the other operand when exactly one is NaN (a signalling NaN still raises NV);
- float-to-int conversions saturate when out of range and raise NV (never NX with it).

Preconditions the caller (the instruction decoder) guarantees: operands are bit patterns of
the format's width (NaN-unboxing of narrow values is done before calling), and rm is one of
the five rounding modes (DYN is resolved and reserved encodings are rejected first; a bad rm
is only noticed, with ValueError, when a result actually needs rounding).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isqrt

RNE, RTZ, RDN, RUP, RMM = 0, 1, 2, 3, 4
# Round to odd (toward zero, then the last bit set if anything was dropped): no instruction
# encodes it as rm, only vfncvt.rod.f.f.w uses it.
ROD = 5
NX, UF, OF, DZ, NV = 1, 2, 4, 8, 16


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: formats compare and hash by identity
class FloatFormat:
    """An IEEE 754 binary interchange format and the constants the operations derive from it."""

    name: str
    exp_bits: int
    frac_bits: int
    width: int  # total bits
    prec: int  # significand bits, including the implicit leading one
    bias: int
    emin: int  # exponent of the smallest normal number
    emax: int  # exponent of the largest finite number
    exp_all_ones: int  # exponent field of infinities and NaNs
    frac_mask: int
    hidden_bit: int  # the implicit leading one of normal significands
    sign_bit: int
    mag_mask: int  # everything but the sign bit
    quiet_bit: int  # fraction MSB: set in quiet NaNs, clear in signalling ones
    inf: int  # +inf
    max_finite: int
    canonical_nan: int
    sig_exp_offset: int  # exponent field minus this is the exponent of the significand's last bit
    last_place_max: int  # largest exponent of a finite result's last significand bit
    pack_bias: int  # see round_pack


def _make_format(name: str, exp_bits: int, frac_bits: int) -> FloatFormat:
    width = 1 + exp_bits + frac_bits
    bias = (1 << (exp_bits - 1)) - 1
    exp_all_ones = (1 << exp_bits) - 1
    inf = exp_all_ones << frac_bits
    return FloatFormat(
        name=name,
        exp_bits=exp_bits,
        frac_bits=frac_bits,
        width=width,
        prec=frac_bits + 1,
        bias=bias,
        emin=1 - bias,
        emax=bias,
        exp_all_ones=exp_all_ones,
        frac_mask=(1 << frac_bits) - 1,
        hidden_bit=1 << frac_bits,
        sign_bit=1 << (width - 1),
        mag_mask=(1 << (width - 1)) - 1,
        quiet_bit=1 << (frac_bits - 1),
        inf=inf,
        max_finite=inf - 1,
        canonical_nan=inf | (1 << (frac_bits - 1)),
        sig_exp_offset=bias + frac_bits,
        last_place_max=bias - frac_bits,
        pack_bias=bias + frac_bits - 1,
    )


F32 = _make_format("binary32", 8, 23)
F64 = _make_format("binary64", 11, 52)
F16 = _make_format("binary16", 5, 10)  # Zfhmin's conversions
CANONICAL_NAN = {F32: F32.canonical_nan, F64: F64.canonical_nan}


# ---------------------------------------------------------------------------------------------
# Rounding: the one place where exact values become format values.


def _round_int(sig: int, shift: int, negative: int, rm: int, sticky: bool) -> tuple[int, bool]:
    """Round (sig + d) / 2**shift to an integer magnitude under rm; return (magnitude, inexact).

    d is 0 when sticky is false, otherwise some 0 < d < 1; then shift must be >= 1 so the
    unknown bits lie strictly below the rounding bit. `negative` is the sign of the value,
    which the directed modes need.
    """
    if shift <= 0:
        return sig << -shift, sticky
    kept = sig >> shift
    dropped = sig & ((1 << shift) - 1)
    if not dropped and not sticky:
        return kept, False
    if rm == RNE:
        half = 1 << (shift - 1)
        up = dropped > half or (dropped == half and (sticky or kept & 1))
    elif rm == RTZ:
        up = False
    elif rm == RDN:
        up = negative
    elif rm == RUP:
        up = not negative
    elif rm == RMM:
        up = dropped >= 1 << (shift - 1)  # a tie, or a tie plus sticky, goes away from zero
    elif rm == ROD:
        return kept | 1, True
    else:
        raise ValueError(f"invalid rounding mode {rm}")
    return (kept + 1 if up else kept), True


def overflowed(fmt: FloatFormat, negative: bool, rm: int) -> tuple[int, int]:
    """The result of an overflow: round-to-nearest modes and rounding away from zero give
    inf, the others stop at the largest finite number."""
    toward_zero = rm in (RTZ, ROD) or (rm == RDN and not negative) or (rm == RUP and negative)
    magnitude = fmt.max_finite if toward_zero else fmt.inf
    return (fmt.sign_bit | magnitude if negative else magnitude), OF | NX


def round_pack(
    fmt: FloatFormat, sign: int, sig: int, exp: int, rm: int, sticky: bool = False
) -> tuple[int, int]:
    """Round the exact value (-1)**sign * (sig + d) * 2**exp into fmt; return (bits, flags).

    sig > 0 (callers produce zeros themselves: their sign depends on the operation). d is 0
    unless sticky is true, in which case 0 < d < 1 and sig must have at least prec + 1 bits, so
    the unknown low bits never straddle a rounding boundary.
    """
    prec = fmt.prec
    emin = fmt.emin
    n = sig.bit_length()
    top = exp + n - 1  # exponent of the leading one
    if top >= emin:
        shift = n - prec  # normal: keep prec significant bits
    else:
        shift = emin - fmt.frac_bits - exp  # subnormal: the last place is 2**(emin - frac_bits)
    mant, inexact = _round_int(sig, shift, sign, rm, sticky)
    last_place = exp + shift  # exponent of mant's last bit
    if mant >> prec:  # rounding carried into a new leading bit; the bit shifted out is zero
        mant >>= 1
        last_place += 1
    if last_place > fmt.last_place_max:
        return overflowed(fmt, bool(sign), rm)
    # A normal mant carries the hidden bit, which adds one to the exponent field, hence the
    # "- 1" in pack_bias; a subnormal (or min-normal after rounding up) mant lands on exponent
    # field 0 (or 1) with the same formula because its last_place is emin - frac_bits.
    bits = ((last_place + fmt.pack_bias) << fmt.frac_bits) + mant
    if sign:
        bits |= fmt.sign_bit
    if not inexact:
        return bits, 0
    if top < emin and (
        mant < fmt.hidden_bit
        # Rounded up to 2**emin on the subnormal grid, which only happens from top == emin - 1:
        # tininess is detected after rounding, so this is tiny unless rounding to prec bits
        # with an unbounded exponent range also carries up to 2**emin.
        or not (_round_int(sig, n - prec, sign, rm, sticky)[0] >> prec)
    ):
        return bits, UF | NX
    return bits, NX


# ---------------------------------------------------------------------------------------------
# Classification helpers.


def is_nan(fmt: FloatFormat, a: int) -> bool:
    return (a & fmt.mag_mask) > fmt.inf


def is_signalling_nan(fmt: FloatFormat, a: int) -> bool:
    return (a & fmt.mag_mask) > fmt.inf and not (a & fmt.quiet_bit)


def _nan_result(fmt: FloatFormat, *operands: int) -> tuple[int, int]:
    """The canonical NaN, raising NV if any operand is a signalling NaN."""
    for x in operands:
        if is_signalling_nan(fmt, x):
            return fmt.canonical_nan, NV
    return fmt.canonical_nan, 0


def _unpack(fmt: FloatFormat, a: int) -> tuple[int, int, int]:
    """Split finite a into (sign, sig, exp) with |a| = sig * 2**exp (sig is 0 for zeros)."""
    field = (a >> fmt.frac_bits) & fmt.exp_all_ones
    sig = a & fmt.frac_mask
    if field:
        return a >> (fmt.width - 1), sig | fmt.hidden_bit, field - fmt.sig_exp_offset
    return a >> (fmt.width - 1), sig, 1 - fmt.sig_exp_offset  # subnormals share emin


def _zero_sum_sign(sign_a: int, sign_b: int, rm: int) -> int:
    """Sign of an exact zero sum: the common sign, or +0 for opposite signs except in RDN."""
    if sign_a == sign_b:
        return sign_a
    return 1 if rm == RDN else 0


def _add_exact(
    fmt: FloatFormat, sa: int, ma: int, ea: int, sb: int, mb: int, eb: int, rm: int
) -> tuple[int, int]:
    """Round (-1)**sa * ma * 2**ea + (-1)**sb * mb * 2**eb where both terms are nonzero."""
    # Align on the smaller exponent: the sum is then an exact integer count of that unit.
    if ea > eb:
        ma <<= ea - eb
        ea = eb
    else:
        mb <<= eb - ea
    total = (-ma if sa else ma) + (-mb if sb else mb)
    if total > 0:
        return round_pack(fmt, 0, total, ea, rm)
    if total < 0:
        return round_pack(fmt, 1, -total, ea, rm)
    return (fmt.sign_bit if rm == RDN else 0), 0  # x + (-x) = +0, except -0 in RDN


# ---------------------------------------------------------------------------------------------
# Arithmetic.


def add(fmt: FloatFormat, a: int, b: int, rm: int) -> tuple[int, int]:
    mag_mask = fmt.mag_mask
    inf = fmt.inf
    if (a & mag_mask) >= inf or (b & mag_mask) >= inf:
        if is_nan(fmt, a) or is_nan(fmt, b):
            return _nan_result(fmt, a, b)
        if (a & mag_mask) == inf:
            if (b & mag_mask) == inf and a != b:
                return fmt.canonical_nan, NV  # inf - inf
            return a, 0
        return b, 0
    sa, ma, ea = _unpack(fmt, a)
    sb, mb, eb = _unpack(fmt, b)
    if not mb:
        if not ma:
            return (fmt.sign_bit if _zero_sum_sign(sa, sb, rm) else 0), 0
        return a, 0
    if not ma:
        return b, 0
    return _add_exact(fmt, sa, ma, ea, sb, mb, eb, rm)


def sub(fmt: FloatFormat, a: int, b: int, rm: int) -> tuple[int, int]:
    # Flipping the sign is exact and keeps a NaN's signalling bit, so it is add in disguise.
    return add(fmt, a, b ^ fmt.sign_bit, rm)


def mul(fmt: FloatFormat, a: int, b: int, rm: int) -> tuple[int, int]:
    mag_mask = fmt.mag_mask
    inf = fmt.inf
    sign = (a ^ b) >> (fmt.width - 1)
    mag_a = a & mag_mask
    mag_b = b & mag_mask
    if mag_a >= inf or mag_b >= inf:
        if mag_a > inf or mag_b > inf:
            return _nan_result(fmt, a, b)
        if not mag_a or not mag_b:
            return fmt.canonical_nan, NV  # 0 * inf
        return (fmt.sign_bit | inf if sign else inf), 0
    if not mag_a or not mag_b:
        return (fmt.sign_bit if sign else 0), 0
    _, ma, ea = _unpack(fmt, a)
    _, mb, eb = _unpack(fmt, b)
    return round_pack(fmt, sign, ma * mb, ea + eb, rm)


def div(fmt: FloatFormat, a: int, b: int, rm: int) -> tuple[int, int]:
    mag_mask = fmt.mag_mask
    inf = fmt.inf
    sign = (a ^ b) >> (fmt.width - 1)
    signed_inf = fmt.sign_bit | inf if sign else inf
    signed_zero = fmt.sign_bit if sign else 0
    mag_a = a & mag_mask
    mag_b = b & mag_mask
    if mag_a >= inf or mag_b >= inf:
        if mag_a > inf or mag_b > inf:
            return _nan_result(fmt, a, b)
        if mag_a == mag_b:
            return fmt.canonical_nan, NV  # inf / inf
        return (signed_inf if mag_a == inf else signed_zero), 0
    if not mag_b:
        if not mag_a:
            return fmt.canonical_nan, NV  # 0 / 0
        return signed_inf, DZ
    if not mag_a:
        return signed_zero, 0
    _, ma, ea = _unpack(fmt, a)
    _, mb, eb = _unpack(fmt, b)
    # Scale the dividend so the quotient has at least prec + 1 bits; a nonzero remainder
    # then only affects bits below the rounding bit and is passed on as sticky.
    k = fmt.prec + 1 + mb.bit_length() - ma.bit_length()
    quotient, remainder = divmod(ma << k, mb)
    return round_pack(fmt, sign, quotient, ea - eb - k, rm, remainder != 0)


def sqrt(fmt: FloatFormat, a: int, rm: int) -> tuple[int, int]:
    mag = a & fmt.mag_mask
    if mag >= fmt.inf:
        if mag > fmt.inf:
            return _nan_result(fmt, a)
        return (fmt.canonical_nan, NV) if a != mag else (a, 0)  # -inf is invalid, +inf stays
    if not mag:
        return a, 0  # sqrt(-0) = -0
    if a != mag:
        return fmt.canonical_nan, NV
    _, m, e = _unpack(fmt, a)
    if e & 1:  # make the exponent even so that it halves exactly
        m <<= 1
        e -= 1
    # Scale by 4**k so the integer root has at least prec + 1 bits (m << 2k >= 2**(2 prec)).
    k = (2 * fmt.prec + 2 - m.bit_length()) >> 1
    scaled = m << (2 * k)
    root = isqrt(scaled)
    return round_pack(fmt, 0, root, (e >> 1) - k, rm, root * root != scaled)


# The estimates of V's vfrsqrt7.v and vfrec7.v (V 1.0, 13.9 and 13.10): the result's leading
# 7 fraction bits come from the spec's tables, the exponent from the input's. The rsqrt table
# is indexed by the normalized exponent's lowest bit and the leading 6 fraction bits, the
# reciprocal's by the leading 7.
RSQRT7_TABLE = bytes((
    52, 51, 50, 48, 47, 46, 44, 43, 42, 41, 40, 39, 38, 36, 35, 34,
    33, 32, 31, 30, 30, 29, 28, 27, 26, 25, 24, 23, 23, 22, 21, 20,
    19, 19, 18, 17, 16, 16, 15, 14, 14, 13, 12, 12, 11, 10, 10, 9,
    9, 8, 7, 7, 6, 6, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0,
    127, 125, 123, 121, 119, 118, 116, 114, 113, 111, 109, 108, 106, 105, 103, 102,
    100, 99, 97, 96, 95, 93, 92, 91, 90, 88, 87, 86, 85, 84, 83, 82,
    80, 79, 78, 77, 76, 75, 74, 73, 72, 71, 70, 70, 69, 68, 67, 66,
    65, 64, 63, 63, 62, 61, 60, 59, 59, 58, 57, 56, 56, 55, 54, 53,
))
REC7_TABLE = bytes((
    127, 125, 123, 121, 119, 117, 116, 114, 112, 110, 109, 107, 105, 104, 102, 100,
    99, 97, 96, 94, 93, 91, 90, 88, 87, 85, 84, 83, 81, 80, 79, 77,
    76, 75, 74, 72, 71, 70, 69, 68, 66, 65, 64, 63, 62, 61, 60, 59,
    58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43,
    42, 41, 40, 40, 39, 38, 37, 36, 35, 35, 34, 33, 32, 31, 31, 30,
    29, 28, 28, 27, 26, 25, 25, 24, 23, 23, 22, 21, 21, 20, 19, 19,
    18, 17, 17, 16, 15, 15, 14, 14, 13, 12, 12, 11, 11, 10, 9, 9,
    8, 8, 7, 7, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0,
))
ESTIMATE_BITS = 7


def _normalized(fmt: FloatFormat, a: int) -> tuple[int, int]:
    """The exponent field and fraction of finite nonzero a, a subnormal's normalized as the
    estimates want it: the exponent goes 0, -1, ... as the leading one moves right, and the
    leading one leaves the fraction."""
    field = (a >> fmt.frac_bits) & fmt.exp_all_ones
    fraction = a & fmt.frac_mask
    if field:
        return field, fraction
    shift = fmt.frac_bits + 1 - fraction.bit_length()
    return 1 - shift, (fraction << shift) & fmt.frac_mask


def rsqrt_estimate(fmt: FloatFormat, a: int) -> tuple[int, int]:
    """vfrsqrt7: 1/sqrt(a) to 7 bits (exact for no input: never NX)."""
    mag = a & fmt.mag_mask
    if mag > fmt.inf:
        return _nan_result(fmt, a)
    if not mag:
        return a | fmt.inf, DZ  # the zero's sign
    if a != mag:
        return fmt.canonical_nan, NV  # negative, -inf too
    if mag == fmt.inf:
        return 0, 0
    exponent, fraction = _normalized(fmt, a)
    index = (exponent & 1) << 6 | fraction >> (fmt.frac_bits - 6)
    result_exponent = (3 * fmt.bias - 1 - exponent) // 2
    return (result_exponent << fmt.frac_bits
            | RSQRT7_TABLE[index] << (fmt.frac_bits - ESTIMATE_BITS)), 0


def reciprocal_estimate(fmt: FloatFormat, a: int, rm: int) -> tuple[int, int]:
    """vfrec7: 1/a to 7 bits. A result below the normal range is the estimate shifted into
    a subnormal; one above it (a subnormal a whose fraction starts with two zeros) overflows
    to infinity or the largest finite number, as rm rounds."""
    sign, mag = a & fmt.sign_bit, a & fmt.mag_mask
    if mag > fmt.inf:
        return _nan_result(fmt, a)
    if mag == fmt.inf:
        return sign, 0
    if not mag:
        return sign | fmt.inf, DZ
    exponent, fraction = _normalized(fmt, a)
    result_exponent = 2 * fmt.bias - 1 - exponent
    if result_exponent > 2 * fmt.bias:
        return overflowed(fmt, bool(sign), rm)
    significand = (1 << ESTIMATE_BITS | REC7_TABLE[fraction >> (fmt.frac_bits - ESTIMATE_BITS)]) \
        << (fmt.frac_bits - ESTIMATE_BITS)  # with its leading one
    if result_exponent < 1:
        return sign | significand >> (1 - result_exponent), 0
    return sign | result_exponent << fmt.frac_bits | (significand & fmt.frac_mask), 0


def fma(
    fmt: FloatFormat,
    a: int,
    b: int,
    c: int,
    rm: int,
    negate_product: bool = False,
    negate_addend: bool = False,
) -> tuple[int, int]:
    """(a * b) + c with a single rounding; the negations give fmsub, fnmsub and fnmadd."""
    sign_bit = fmt.sign_bit
    # Negations are exact sign flips, so apply them to the operands and keep one code path.
    if negate_product:
        a ^= sign_bit
    if negate_addend:
        c ^= sign_bit
    mag_mask = fmt.mag_mask
    inf = fmt.inf
    mag_a = a & mag_mask
    mag_b = b & mag_mask
    mag_c = c & mag_mask
    product_sign = (a ^ b) >> (fmt.width - 1)
    if mag_a >= inf or mag_b >= inf or mag_c >= inf:
        if (mag_a == inf and not mag_b) or (mag_b == inf and not mag_a):
            return fmt.canonical_nan, NV  # 0 * inf is invalid even when c is a quiet NaN
        if mag_a > inf or mag_b > inf or mag_c > inf:
            return _nan_result(fmt, a, b, c)
        if mag_a == inf or mag_b == inf:
            if mag_c == inf and (c >> (fmt.width - 1)) != product_sign:
                return fmt.canonical_nan, NV  # inf - inf
            return (sign_bit | inf if product_sign else inf), 0
        return c, 0  # finite product + inf
    sc, mc, ec = _unpack(fmt, c)
    if not mag_a or not mag_b:  # the product is an exact zero
        if not mag_c:
            return (sign_bit if _zero_sum_sign(product_sign, sc, rm) else 0), 0
        return c, 0
    _, ma, ea = _unpack(fmt, a)
    _, mb, eb = _unpack(fmt, b)
    if not mc:
        return round_pack(fmt, product_sign, ma * mb, ea + eb, rm)
    return _add_exact(fmt, product_sign, ma * mb, ea + eb, sc, mc, ec, rm)


# ---------------------------------------------------------------------------------------------
# Conversions.


def to_int(fmt: FloatFormat, a: int, rm: int, bits: int, signed: bool) -> tuple[int, int]:
    """fcvt.{w,wu,l,lu}: round a to an integer of the given width; saturate with NV if it
    does not fit (NaN counts as +inf); otherwise NX if rounding was inexact."""
    if signed:
        lowest, highest = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        lowest, highest = 0, (1 << bits) - 1
    mag = a & fmt.mag_mask
    negative = a >> (fmt.width - 1)
    if mag >= fmt.inf:
        return (lowest if negative and mag == fmt.inf else highest), NV
    _, sig, exp = _unpack(fmt, a)
    value, inexact = _round_int(sig, -exp, negative, rm, False)
    if negative:
        value = -value
    if value < lowest:
        return lowest, NV
    if value > highest:
        return highest, NV
    return value, (NX if inexact else 0)


def to_int_modular(fmt: FloatFormat, a: int, bits: int) -> tuple[int, int]:
    """fcvtmod.w.d (Zfa): a truncated toward zero, modulo 2**bits (unsigned); infinities and
    NaNs give 0. The flags are those of the saturating conversion toward zero."""
    flags = to_int(fmt, a, RTZ, bits, True)[1]
    if (a & fmt.mag_mask) >= fmt.inf:
        return 0, flags
    sign, sig, exp = _unpack(fmt, a)
    magnitude = sig << exp if exp >= 0 else sig >> -exp
    return (-magnitude if sign else magnitude) & ((1 << bits) - 1), flags


def round_to_integral(fmt: FloatFormat, a: int, rm: int, exact: bool) -> tuple[int, int]:
    """fround/froundnx (Zfa): a rounded to an integral value in its own format. Zeros and
    infinities are returned unchanged, NaNs as the canonical NaN (NV if signalling); with
    `exact` (froundnx, IEEE roundToIntegralExact), NX when the value changed."""
    mag = a & fmt.mag_mask
    if mag > fmt.inf:
        return _nan_result(fmt, a)
    sign, sig, exp = _unpack(fmt, a)
    if mag == fmt.inf or not sig or exp >= 0:
        return a, 0
    value, inexact = _round_int(sig, -exp, sign, rm, False)
    flags = NX if exact and inexact else 0
    if not value:
        return a & fmt.sign_bit, flags  # a zero keeps the sign of what was rounded
    return round_pack(fmt, sign, value, 0, rm)[0], flags


def from_int(fmt: FloatFormat, value: int, rm: int, unsigned: bool = False) -> tuple[int, int]:
    """fcvt.{s,d}.{w,wu,l,lu}: the caller passes the already sign- or zero-extended value, or
    with `unsigned` a 64-bit register whose bits are read as an unsigned number."""
    if unsigned:
        value &= (1 << 64) - 1
    if value > 0:
        return round_pack(fmt, 0, value, 0, rm)
    if value < 0:
        return round_pack(fmt, 1, -value, 0, rm)
    return 0, 0


def convert(src_fmt: FloatFormat, dst_fmt: FloatFormat, a: int, rm: int) -> tuple[int, int]:
    """fcvt.s.d / fcvt.d.s."""
    mag = a & src_fmt.mag_mask
    negative = a >> (src_fmt.width - 1)
    if mag >= src_fmt.inf:
        if mag > src_fmt.inf:
            return dst_fmt.canonical_nan, (NV if is_signalling_nan(src_fmt, a) else 0)
        return (dst_fmt.sign_bit | dst_fmt.inf if negative else dst_fmt.inf), 0
    _, sig, exp = _unpack(src_fmt, a)
    if not sig:
        return (dst_fmt.sign_bit if negative else 0), 0
    return round_pack(dst_fmt, negative, sig, exp, rm)


# ---------------------------------------------------------------------------------------------
# Comparisons, min/max, classification.


def _order_key(fmt: FloatFormat, a: int) -> int:
    """An integer that orders non-NaN values like the reals they denote (both zeros map to 0)."""
    mag = a & fmt.mag_mask
    return -mag if a >> (fmt.width - 1) else mag


def eq(fmt: FloatFormat, a: int, b: int) -> tuple[int, int]:
    """feq: a quiet comparison, NV only for signalling NaN operands."""
    if is_nan(fmt, a) or is_nan(fmt, b):
        return 0, _nan_result(fmt, a, b)[1]
    return int(a == b or not ((a | b) & fmt.mag_mask)), 0  # +0 == -0


def lt(fmt: FloatFormat, a: int, b: int) -> tuple[int, int]:
    """flt: a signalling comparison, NV for any NaN operand."""
    if is_nan(fmt, a) or is_nan(fmt, b):
        return 0, NV
    return int(_order_key(fmt, a) < _order_key(fmt, b)), 0


def le(fmt: FloatFormat, a: int, b: int) -> tuple[int, int]:
    """fle: a signalling comparison, NV for any NaN operand."""
    if is_nan(fmt, a) or is_nan(fmt, b):
        return 0, NV
    return int(_order_key(fmt, a) <= _order_key(fmt, b)), 0


def lt_quiet(fmt: FloatFormat, a: int, b: int) -> tuple[int, int]:
    """fltq (Zfa): flt that raises NV only for signalling NaN operands."""
    if is_nan(fmt, a) or is_nan(fmt, b):
        return 0, _nan_result(fmt, a, b)[1]
    return lt(fmt, a, b)


def le_quiet(fmt: FloatFormat, a: int, b: int) -> tuple[int, int]:
    """fleq (Zfa): fle that raises NV only for signalling NaN operands."""
    if is_nan(fmt, a) or is_nan(fmt, b):
        return 0, _nan_result(fmt, a, b)[1]
    return le(fmt, a, b)


def _min_max_nan(fmt: FloatFormat, a: int, b: int) -> tuple[int, int] | None:
    """fmin/fmax with a NaN operand: the other operand, or the canonical NaN if both are."""
    a_nan = is_nan(fmt, a)
    b_nan = is_nan(fmt, b)
    if not a_nan and not b_nan:
        return None
    flags = _nan_result(fmt, a, b)[1]
    if a_nan and b_nan:
        return fmt.canonical_nan, flags
    return (b if a_nan else a), flags


# min and max keep the instruction names and so shadow the builtins; this module never needs those.
def min(fmt: FloatFormat, a: int, b: int) -> tuple[int, int]:
    nan_case = _min_max_nan(fmt, a, b)
    if nan_case is not None:
        return nan_case
    key_a = _order_key(fmt, a)
    key_b = _order_key(fmt, b)
    if key_a == key_b:
        return a | b, 0  # equal bits, or +0 and -0, where the sign bit makes -0 the minimum
    return (a if key_a < key_b else b), 0


def max(fmt: FloatFormat, a: int, b: int) -> tuple[int, int]:
    nan_case = _min_max_nan(fmt, a, b)
    if nan_case is not None:
        return nan_case
    key_a = _order_key(fmt, a)
    key_b = _order_key(fmt, b)
    if key_a == key_b:
        return a & b, 0  # equal bits, or +0 and -0, where clearing the sign makes +0 the maximum
    return (a if key_a > key_b else b), 0


def minimum(fmt: FloatFormat, a: int, b: int) -> tuple[int, int]:
    """fminm (Zfa), IEEE 754-2019 minimum: like fmin, but any NaN operand gives the
    canonical NaN."""
    if is_nan(fmt, a) or is_nan(fmt, b):
        return _nan_result(fmt, a, b)
    return min(fmt, a, b)


def maximum(fmt: FloatFormat, a: int, b: int) -> tuple[int, int]:
    """fmaxm (Zfa), IEEE 754-2019 maximum."""
    if is_nan(fmt, a) or is_nan(fmt, b):
        return _nan_result(fmt, a, b)
    return max(fmt, a, b)


# fclass result bits.
CLASS_NEG_INF = 1 << 0
CLASS_NEG_NORMAL = 1 << 1
CLASS_NEG_SUBNORMAL = 1 << 2
CLASS_NEG_ZERO = 1 << 3
CLASS_POS_ZERO = 1 << 4
CLASS_POS_SUBNORMAL = 1 << 5
CLASS_POS_NORMAL = 1 << 6
CLASS_POS_INF = 1 << 7
CLASS_SIGNALLING_NAN = 1 << 8
CLASS_QUIET_NAN = 1 << 9


def classify(fmt: FloatFormat, a: int) -> int:
    """fclass: a one-hot 10-bit mask."""
    negative = a >> (fmt.width - 1)
    field = (a >> fmt.frac_bits) & fmt.exp_all_ones
    frac = a & fmt.frac_mask
    if field == fmt.exp_all_ones:
        if frac:
            return CLASS_QUIET_NAN if frac & fmt.quiet_bit else CLASS_SIGNALLING_NAN
        return CLASS_NEG_INF if negative else CLASS_POS_INF
    if field:
        return CLASS_NEG_NORMAL if negative else CLASS_POS_NORMAL
    if frac:
        return CLASS_NEG_SUBNORMAL if negative else CLASS_POS_SUBNORMAL
    return CLASS_NEG_ZERO if negative else CLASS_POS_ZERO
