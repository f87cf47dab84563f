// Each kernel keeps a tile of MR rows × NV vectors of its result in registers and runs the
// reduction through it, one broadcast operand and NV vector operands per step. With AVX-512
// (16 lanes, 32 registers) MR × NV is 8 × 1, 8 × 2 or 6 × 4; with AVX2 (8 lanes, 16 registers)
// 6 × 2: the accumulators, the vectors and a broadcast fit in the registers. The kernels are
// written once (conv_tiles.h) and compiled for each set. Output pixels go in chunks of CHUNK,
// whose patch bases are worked out once and shared by all tiles of the chunk.
#include "conv_kernels.h"

#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>

#define CHUNK AIR_CONV_CHUNK

int air_conv_best_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return AIR_CONV_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return AIR_CONV_AVX2;
    return 0;
}

int air_conv_filter_shape_ok(const AirConvShape *s) { return s->o > 0 && s->o % 16 == 0; }

int air_conv_data_shape_ok(const AirConvShape *s) { return air_conv_filter_shape_ok(s) && s->c % 16 == 0; }

static long padded_height(const AirConvShape *s) { return s->h + 2 * s->pad; }
static long padded_width(const AirConvShape *s) { return s->w + 2 * s->pad; }
long air_conv_padded_count(const AirConvShape *s) { return s->batch * padded_height(s) * padded_width(s) * s->c; }

void air_conv_pad(const AirConvShape *s, const float *x, float *xp) {
    long h = s->h, w = s->w, c = s->c, pad = s->pad, hp = padded_height(s), rowp = padded_width(s) * c;
    for (long b = 0; b < s->batch; b++)
        for (long y = 0; y < hp; y++) {
            float *dst = xp + (b * hp + y) * rowp;
            long iy = y - pad;
            if (iy < 0 || iy >= h) { for (long i = 0; i < rowp; i++) dst[i] = 0; continue; }
            const float *src = x + (b * h + iy) * w * c;
            for (long i = 0; i < pad * c; i++) dst[i] = 0;
            for (long i = 0; i < w * c; i++) dst[pad * c + i] = src[i];
            for (long i = (pad + w) * c; i < rowp; i++) dst[i] = 0;
        }
}

/* offsets[k]: where tap k of a patch lies in an image `width` pixels wide, counted from the
   patch's first tap. */
static int32_t *tap_offsets(const AirConvShape *s, long width) {
    int32_t *offsets = malloc(sizeof(int32_t) * s->kh * s->kw * s->c);
    if (!offsets) abort();
    long k = 0;
    for (long ky = 0; ky < s->kh; ky++)
        for (long t = 0; t < s->kw * s->c; t++) offsets[k++] = (int32_t)(ky * width * s->c + t);
    return offsets;
}

/* bases[i]: the first tap of output pixel p0 + i in xp. */
static void pixel_bases(const AirConvShape *s, long p0, long n, int64_t *bases) {
    long plane = s->oh * s->ow, hp = padded_height(s), wp = padded_width(s);
    long b = p0 / plane, oy = (p0 % plane) / s->ow, ox = p0 % s->ow;
    for (long i = 0; i < n; i++) {
        bases[i] = ((b * hp + oy * s->stride) * wp + ox * s->stride) * s->c;
        if (++ox == s->ow) { ox = 0; if (++oy == s->oh) { oy = 0; b++; } }
    }
}

/* Where a chunk's output pixels sit: corner[i] = (b·h + y0)·w + x0 with y0, x0 the patch's first
   tap (in the padding when negative), and y0, x0 themselves. */
typedef struct { int64_t corner[CHUNK]; int32_t y0[CHUNK], x0[CHUNK]; } PixelCorners;

static void pixel_corners(const AirConvShape *s, long p0, long n, PixelCorners *pc) {
    long plane = s->oh * s->ow;
    long b = p0 / plane, oy = (p0 % plane) / s->ow, ox = p0 % s->ow;
    for (long i = 0; i < n; i++) {
        long y0 = oy * s->stride - s->pad, x0 = ox * s->stride - s->pad;
        pc->corner[i] = (b * s->h + y0) * s->w + x0;
        pc->y0[i] = (int32_t)y0;
        pc->x0[i] = (int32_t)x0;
        if (++ox == s->ow) { ox = 0; if (++oy == s->oh) { oy = 0; b++; } }
    }
}

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)

#define TARGET __attribute__((target("avx512f,fma")))
#define N(name) CAT(name, avx512)
#define V __m512
#define L 16
#define VZERO _mm512_setzero_ps
#define VLOAD _mm512_loadu_ps
#define VSTORE _mm512_storeu_ps
#define VSET1 _mm512_set1_ps
#define VFMA _mm512_fmadd_ps
#define VADD _mm512_add_ps
#define VMAX _mm512_max_ps
#define TILE_SHAPES(X) X(8, 1) X(8, 2) X(6, 4)
#define NV_FOR(width) ((width) % 64 == 0 ? 4 : (width) % 32 == 0 ? 2 : 1)
#define MR_FOR(nv) ((nv) == 4 ? 6 : 8)
#define DISPATCH(kind, nv, ...)                                                 \
    do {                                                                        \
        if ((nv) == 4) N(kind##_6x4)(__VA_ARGS__);                              \
        else if ((nv) == 2) N(kind##_8x2)(__VA_ARGS__);                         \
        else N(kind##_8x1)(__VA_ARGS__);                                        \
    } while (0)
#include "conv_tiles.h"
#undef TARGET
#undef N
#undef V
#undef L
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VSET1
#undef VFMA
#undef VADD
#undef VMAX
#undef TILE_SHAPES
#undef NV_FOR
#undef MR_FOR
#undef DISPATCH

#define TARGET __attribute__((target("avx2,fma")))
#define N(name) CAT(name, avx2)
#define V __m256
#define L 8
#define VZERO _mm256_setzero_ps
#define VLOAD _mm256_loadu_ps
#define VSTORE _mm256_storeu_ps
#define VSET1 _mm256_set1_ps
#define VFMA _mm256_fmadd_ps
#define VADD _mm256_add_ps
#define VMAX _mm256_max_ps
#define TILE_SHAPES(X) X(6, 2)
#define NV_FOR(width) 2
#define MR_FOR(nv) 6
#define DISPATCH(kind, nv, ...) N(kind##_6x2)(__VA_ARGS__)
#include "conv_tiles.h"

void air_conv_forward(const AirConvShape *s, const float *x, const float *wt, const float *bias, int relu,
                      const long *starts, const long *counts, long ranges, float *y, float *border) {
    if (s->isa == AIR_CONV_AVX512) forward_avx512(s, x, wt, bias, relu, starts, counts, ranges, y, border);
    else forward_avx2(s, x, wt, bias, relu, starts, counts, ranges, y, border);
}

void air_conv_forward_padded(const AirConvShape *s, const float *xp, const float *wt, const float *bias, int relu, float *y) {
    if (s->isa == AIR_CONV_AVX512) forward_padded_avx512(s, xp, wt, bias, relu, y);
    else forward_padded_avx2(s, xp, wt, bias, relu, y);
}

void air_conv_filter_gradient(const AirConvShape *s, const float *xp, const float *dy, float *dwt) {
    if (s->isa == AIR_CONV_AVX512) filter_gradient_avx512(s, xp, dy, dwt);
    else filter_gradient_avx2(s, xp, dy, dwt);
}

void air_conv_data_gradient(const AirConvShape *s, const float *dy, const float *w, float *gx) {
    if (s->isa == AIR_CONV_AVX512) data_gradient_avx512(s, dy, w, gx);
    else data_gradient_avx2(s, dy, w, gx);
}
