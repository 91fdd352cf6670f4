/* RVV intrinsics (riscv_vector.h) over a range of vl, SEW and LMUL: segment loads, gathers,
   compress, slides, widening multiply-accumulate, fixed-point with each vxrm, reductions and
   mask counts; prints a checksum line per kernel. Built with zig cc for RV64+V. */
#include <riscv_vector.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ULL; }

static int16_t a16[257], b16[257];
static uint8_t bytes[771];
static int32_t out32[257];

/* The rounding mode of the fixed-point intrinsics must be a constant. */
#define FIXED_POINT(RM) do {                                                             \
        size_t vl = __riscv_vsetvl_e16m1(8);                                             \
        vint16m1_t x = __riscv_vle16_v_i16m1(a16 + 3, vl);                               \
        vint16m1_t y = __riscv_vle16_v_i16m1(b16 + 5, vl);                               \
        vint16m1_t p = __riscv_vsmul_vv_i16m1(x, y, RM, vl);                             \
        vint16m1_t q = __riscv_vaadd_vv_i16m1(x, y, RM, vl);                             \
        vint16m1_t r = __riscv_vnclip_wx_i16m1(__riscv_vwmul_vv_i32m2(x, y, vl), 9, RM, vl); \
        __riscv_vse16_v_i16m1(bp, p, vl);                                                \
        __riscv_vse16_v_i16m1(bq, q, vl);                                                \
        __riscv_vse16_v_i16m1(br, r, vl);                                                \
        n = vl;                                                                          \
    } while (0)

static void fixed_point(unsigned rm) {
    int16_t bp[8], bq[8], br[8];
    size_t n = 0;
    switch (rm) {
    case 0: FIXED_POINT(0); break;
    case 1: FIXED_POINT(1); break;
    case 2: FIXED_POINT(2); break;
    default: FIXED_POINT(3); break;
    }
    uint64_t f = 0;
    for (size_t i = 0; i < n; i++) f = mix(mix(mix(f, (uint16_t)bp[i]), (uint16_t)bq[i]), (uint16_t)br[i]);
    printf("fixed rm %u %016llx\n", rm, (unsigned long long)f);
}

int main(void) {
    for (int i = 0; i < 257; i++) { a16[i] = (int16_t)(i * 977 - 30000); b16[i] = (int16_t)(i * -331 + 7); }
    for (int i = 0; i < 771; i++) bytes[i] = (uint8_t)(i * 37 + 11);

    /* widening multiply-accumulate, e16 -> e32, strip-mined */
    uint64_t h = 0;
    for (size_t n = 257, i = 0; n > 0;) {
        size_t vl = __riscv_vsetvl_e16m2(n);
        vint16m2_t x = __riscv_vle16_v_i16m2(a16 + i, vl);
        vint16m2_t y = __riscv_vle16_v_i16m2(b16 + i, vl);
        vint32m4_t acc = __riscv_vmv_v_x_i32m4(5, vl);
        acc = __riscv_vwmacc_vv_i32m4(acc, x, y, vl);
        __riscv_vse32_v_i32m4(out32 + i, acc, vl);
        n -= vl; i += vl;
    }
    for (int i = 0; i < 257; i++) h = mix(h, (uint32_t)out32[i]);
    printf("wmacc %016llx\n", (unsigned long long)h);

    /* segment load of RGB triples, channel sums reduced */
    size_t pixels = 257;
    uint32_t sums[3] = {0, 0, 0};
    for (size_t n = pixels, i = 0; n > 0;) {
        size_t vl = __riscv_vsetvl_e8m1(n);
        vuint8m1x3_t rgb = __riscv_vlseg3e8_v_u8m1x3(bytes + 3 * i, vl);
        vuint16m1_t zero = __riscv_vmv_v_x_u16m1(0, 1);
        sums[0] += __riscv_vmv_x_s_u16m1_u16(__riscv_vwredsumu_vs_u8m1_u16m1(__riscv_vget_v_u8m1x3_u8m1(rgb, 0), zero, vl));
        sums[1] += __riscv_vmv_x_s_u16m1_u16(__riscv_vwredsumu_vs_u8m1_u16m1(__riscv_vget_v_u8m1x3_u8m1(rgb, 1), zero, vl));
        sums[2] += __riscv_vmv_x_s_u16m1_u16(__riscv_vwredsumu_vs_u8m1_u16m1(__riscv_vget_v_u8m1x3_u8m1(rgb, 2), zero, vl));
        n -= vl; i += vl;
    }
    printf("rgb %u %u %u\n", sums[0], sums[1], sums[2]);

    /* gather (reverse), compress (odd values), slide, mask counts */
    for (size_t avl = 1; avl <= 40; avl += 13) {
        size_t vl = __riscv_vsetvl_e16m4(avl);
        vint16m4_t x = __riscv_vle16_v_i16m4(a16, vl);
        vuint16m4_t idx = __riscv_vrsub_vx_u16m4(__riscv_vid_v_u16m4(vl), (uint16_t)(vl - 1), vl);
        vint16m4_t rev = __riscv_vrgather_vv_i16m4(x, idx, vl);
        vbool4_t odd = __riscv_vmsne_vx_i16m4_b4(__riscv_vand_vx_i16m4(x, 1, vl), 0, vl);
        vint16m4_t packed = __riscv_vcompress_vm_i16m4(rev, odd, vl);
        vint16m4_t slid = __riscv_vslidedown_vx_i16m4(packed, 2, vl);
        int16_t buf[64] = {0};
        __riscv_vse16_v_i16m4(buf, slid, vl);
        uint64_t g = 0;
        for (size_t i = 0; i < vl; i++) g = mix(g, (uint16_t)buf[i]);
        printf("perm vl %zu odd %ld first %ld %016llx\n", vl, (long)__riscv_vcpop_m_b4(odd, vl),
               (long)__riscv_vfirst_m_b4(odd, vl), (unsigned long long)g);
    }

    /* fixed point: vsmul, averaging add and a narrowing clip under each rounding mode */
    fixed_point(0);
    fixed_point(1);
    fixed_point(2);
    fixed_point(3);
    return 0;
}
