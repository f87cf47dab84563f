// Each kernel keeps a tile of MR rows × NV·16 columns of its result in zmm registers and runs
// the reduction through it, one broadcast operand and NV vector operands per step; MR × NV is
// 8 × 2 or 6 × 4 so that the accumulators, the vectors and a broadcast fit in 32 registers.
// Output pixels go in chunks of CHUNK, whose patch bases are worked out once and shared by all
// tiles of the chunk.
#include "conv_kernels.h"

#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>

#define TARGET __attribute__((target("avx512f,fma")))
#define CHUNK AIR_CONV_CHUNK

int air_conv_kernels_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
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

/* Forward tile: out[i][16j + ·] = bias + Σ_k a[i][offsets[k]] · wt[k, 16j + ·] for the rows i < rows
   (the others repeat the last row's patch and are not stored). */
#define FORWARD_TILE(MR, NV)                                                                          \
static TARGET void forward_tile_##MR##x##NV(long patch, const int32_t *offsets, const float *const *rowsIn, \
        int rows, const float *wt, long ldw, const float *bias, int relu, float *const *rowsOut) {     \
    __m512 acc[MR][NV];                                                                               \
    const float *a[MR];                                                                               \
    for (int i = 0; i < MR; i++) a[i] = rowsIn[i < rows ? i : rows - 1];                              \
    for (int i = 0; i < MR; i++) for (int j = 0; j < NV; j++) acc[i][j] = _mm512_setzero_ps();       \
    for (long k = 0; k < patch; k++) {                                                                \
        __m512 w[NV];                                                                                 \
        for (int j = 0; j < NV; j++) w[j] = _mm512_loadu_ps(wt + k * ldw + 16 * j);                   \
        long off = offsets[k];                                                                        \
        for (int i = 0; i < MR; i++) {                                                                \
            __m512 v = _mm512_set1_ps(a[i][off]);                                                     \
            for (int j = 0; j < NV; j++) acc[i][j] = _mm512_fmadd_ps(v, w[j], acc[i][j]);            \
        }                                                                                             \
    }                                                                                                 \
    for (int i = 0; i < rows; i++)                                                                    \
        for (int j = 0; j < NV; j++) {                                                                \
            __m512 v = acc[i][j];                                                                     \
            if (bias) v = _mm512_add_ps(v, _mm512_loadu_ps(bias + 16 * j));                           \
            if (relu) v = _mm512_max_ps(v, _mm512_setzero_ps());                                      \
            _mm512_storeu_ps(rowsOut[i] + 16 * j, v);                                                 \
        }                                                                                             \
}
FORWARD_TILE(8, 1)
FORWARD_TILE(8, 2)
FORWARD_TILE(6, 4)

/* The tiles of n output rows: patches at in[i] (taps at offsets), results at out[i]. */
static TARGET void forward_rows(const AirConvShape *s, long n, const float *const *in, const int32_t *offsets,
                                const float *wt, const float *bias, int relu, float *const *out) {
    long patch = s->kh * s->kw * s->c, o = s->o;
    int nv = o % 64 == 0 ? 4 : o % 32 == 0 ? 2 : 1, mr = nv == 4 ? 6 : 8;
    float *shifted[8];
    for (long o0 = 0; o0 < o; o0 += 16 * nv) {
        const float *b = bias ? bias + o0 : NULL;
        for (long i = 0; i < n; i += mr) {
            int rows = (int)(n - i < mr ? n - i : mr);
            for (int r = 0; r < rows; r++) shifted[r] = out[i + r] + o0;
            if (nv == 4) forward_tile_6x4(patch, offsets, in + i, rows, wt + o0, o, b, relu, shifted);
            else if (nv == 2) forward_tile_8x2(patch, offsets, in + i, rows, wt + o0, o, b, relu, shifted);
            else forward_tile_8x1(patch, offsets, in + i, rows, wt + o0, o, b, relu, shifted);
        }
    }
}

TARGET void air_conv_forward(const AirConvShape *s, const float *x, const float *wt, const float *bias, int relu,
                             const long *starts, const long *counts, long ranges, float *y, float *border) {
    long patch = s->kh * s->kw * s->c, c = s->c, plane = s->oh * s->ow;
    int32_t *inside = tap_offsets(s, s->w);           // taps of a patch within the image
    int32_t *copied = malloc(sizeof(int32_t) * patch); // taps of a copied patch
    if (!copied) abort();
    for (long k = 0; k < patch; k++) copied[k] = (int32_t)k;
    const float *inRows[CHUNK], *borderRows[CHUNK];
    float *outRows[CHUNK], *borderOut[CHUNK];
    for (long r = 0; r < ranges; r++)
        for (long p0 = starts[r]; p0 < starts[r] + counts[r]; p0 += CHUNK) {
            long n = starts[r] + counts[r] - p0 < CHUNK ? starts[r] + counts[r] - p0 : CHUNK;
            long b = p0 / plane, oy = (p0 % plane) / s->ow, ox = p0 % s->ow, ni = 0, nb = 0;
            for (long i = 0; i < n; i++) {
                long y0 = oy * s->stride - s->pad, x0 = ox * s->stride - s->pad;
                float *out = y + (p0 + i) * s->o;
                if (y0 >= 0 && y0 + s->kh <= s->h && x0 >= 0 && x0 + s->kw <= s->w) {
                    inRows[ni] = x + ((b * s->h + y0) * s->w + x0) * c;
                    outRows[ni++] = out;
                } else {
                    // The patch with zeros for the taps in the padding.
                    float *dst = border + nb * patch;
                    for (long ky = 0; ky < s->kh; ky++)
                        for (long kx = 0; kx < s->kw; kx++, dst += c) {
                            long iy = y0 + ky, ix = x0 + kx;
                            if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w) {
                                for (long ch = 0; ch < c; ch++) dst[ch] = 0;
                            } else {
                                const float *src = x + ((b * s->h + iy) * s->w + ix) * c;
                                for (long ch = 0; ch < c; ch++) dst[ch] = src[ch];
                            }
                        }
                    borderRows[nb] = border + nb * patch;
                    borderOut[nb++] = out;
                }
                if (++ox == s->ow) { ox = 0; if (++oy == s->oh) { oy = 0; b++; } }
            }
            forward_rows(s, ni, inRows, inside, wt, bias, relu, outRows);
            forward_rows(s, nb, borderRows, copied, wt, bias, relu, borderOut);
        }
    free(inside);
    free(copied);
}

TARGET void air_conv_forward_padded(const AirConvShape *s, const float *xp, const float *wt, const float *bias,
                                    int relu, float *y) {
    long pixels = s->batch * s->oh * s->ow;
    int32_t *offsets = tap_offsets(s, padded_width(s));
    int64_t bases[CHUNK];
    const float *in[CHUNK];
    float *out[CHUNK];
    for (long p0 = 0; p0 < pixels; p0 += CHUNK) {
        long n = pixels - p0 < CHUNK ? pixels - p0 : CHUNK;
        pixel_bases(s, p0, n, bases);
        for (long i = 0; i < n; i++) { in[i] = xp + bases[i]; out[i] = y + (p0 + i) * s->o; }
        forward_rows(s, n, in, offsets, wt, bias, relu, out);
    }
    free(offsets);
}

/* Filter gradient tile: dwt[k0 + i, o0 + 16j + ·] += Σ_p xp[base(p) + offsets[i]] · dy[p, o0 + 16j + ·]
   for the rows i < rows (the others repeat the last row's tap and are not stored). */
#define FILTER_TILE(MR, NV)                                                                           \
static TARGET void filter_tile_##MR##x##NV(long n, const int64_t *bases, const float *xp,            \
        const int32_t *offsets, int rows, const float *dy, long o, float *dwt) {                     \
    __m512 acc[MR][NV];                                                                               \
    long off[MR];                                                                                     \
    for (int i = 0; i < MR; i++) off[i] = offsets[i < rows ? i : rows - 1];                           \
    for (int i = 0; i < MR; i++) for (int j = 0; j < NV; j++) acc[i][j] = _mm512_setzero_ps();       \
    for (long p = 0; p < n; p++) {                                                                    \
        const float *a = xp + bases[p];                                                               \
        __m512 g[NV];                                                                                 \
        for (int j = 0; j < NV; j++) g[j] = _mm512_loadu_ps(dy + p * o + 16 * j);                     \
        for (int i = 0; i < MR; i++) {                                                                \
            __m512 v = _mm512_set1_ps(a[off[i]]);                                                     \
            for (int j = 0; j < NV; j++) acc[i][j] = _mm512_fmadd_ps(v, g[j], acc[i][j]);            \
        }                                                                                             \
    }                                                                                                 \
    for (int i = 0; i < rows; i++)                                                                    \
        for (int j = 0; j < NV; j++) {                                                                \
            float *d = dwt + i * o + 16 * j;                                                          \
            _mm512_storeu_ps(d, _mm512_add_ps(_mm512_loadu_ps(d), acc[i][j]));                       \
        }                                                                                             \
}
FILTER_TILE(8, 1)
FILTER_TILE(8, 2)
FILTER_TILE(6, 4)

TARGET void air_conv_filter_gradient(const AirConvShape *s, const float *xp, const float *dy, float *dwt) {
    long patch = s->kh * s->kw * s->c, o = s->o, pixels = s->batch * s->oh * s->ow;
    int32_t *offsets = tap_offsets(s, padded_width(s));
    int64_t bases[CHUNK];
    int nv = o % 64 == 0 ? 4 : o % 32 == 0 ? 2 : 1, mr = nv == 4 ? 6 : 8;
    for (long p0 = 0; p0 < pixels; p0 += CHUNK) {
        long n = pixels - p0 < CHUNK ? pixels - p0 : CHUNK;
        pixel_bases(s, p0, n, bases);
        const float *d = dy + p0 * o;
        for (long o0 = 0; o0 < o; o0 += 16 * nv)
            for (long k = 0; k < patch; k += mr) {
                int rows = (int)(patch - k < mr ? patch - k : mr);
                float *out = dwt + k * o + o0;
                if (nv == 4) filter_tile_6x4(n, bases, xp, offsets + k, rows, d + o0, o, out);
                else if (nv == 2) filter_tile_8x2(n, bases, xp, offsets + k, rows, d + o0, o, out);
                else filter_tile_8x1(n, bases, xp, offsets + k, rows, d + o0, o, out);
            }
    }
    free(offsets);
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

/* Data gradient tile, taps k0 ..< k0 + 16·NV of kernel row ky (each 16 lanes one tap's channels,
   tap kx[j]): for the pixels i < rows, gx at that tap += Σ_o dy[i, o] · w[o, k0 + ·], skipping
   the taps in the padding. */
#define DATA_TILE(MR, NV)                                                                             \
static TARGET void data_tile_##MR##x##NV(const AirConvShape *s, const float *dy, int rows, const float *w, \
        long ldw, float *gx, const PixelCorners *pc, long i0, long ky, long t0, const long *kx) {      \
    long o = s->o;                                                                                    \
    __m512 acc[MR][NV];                                                                               \
    for (int i = 0; i < MR; i++) for (int j = 0; j < NV; j++) acc[i][j] = _mm512_setzero_ps();       \
    for (long q = 0; q < o; q++) {                                                                    \
        __m512 wv[NV];                                                                                \
        for (int j = 0; j < NV; j++) wv[j] = _mm512_loadu_ps(w + q * ldw + 16 * j);                   \
        for (int i = 0; i < MR; i++) {                                                                \
            __m512 v = _mm512_set1_ps(dy[(i < rows ? i : 0) * o + q]);                                \
            for (int j = 0; j < NV; j++) acc[i][j] = _mm512_fmadd_ps(v, wv[j], acc[i][j]);           \
        }                                                                                             \
    }                                                                                                 \
    for (int i = 0; i < rows; i++) {                                                                  \
        long iy = pc->y0[i0 + i] + ky;                                                                \
        if (iy < 0 || iy >= s->h) continue;                                                           \
        float *d = gx + (pc->corner[i0 + i] + ky * s->w) * s->c + t0;                                 \
        for (int j = 0; j < NV; j++) {                                                                \
            long ix = pc->x0[i0 + i] + kx[j];                                                         \
            if (ix < 0 || ix >= s->w) continue;                                                       \
            _mm512_storeu_ps(d + 16 * j, _mm512_add_ps(_mm512_loadu_ps(d + 16 * j), acc[i][j]));     \
        }                                                                                             \
    }                                                                                                 \
}
DATA_TILE(8, 1)
DATA_TILE(8, 2)
DATA_TILE(6, 4)

TARGET void air_conv_data_gradient(const AirConvShape *s, const float *dy, const float *w, float *gx) {
    long patch = s->kh * s->kw * s->c, o = s->o, pixels = s->batch * s->oh * s->ow, row = s->kw * s->c;
    PixelCorners *pc = malloc(sizeof(PixelCorners));
    // A tile's taps must lie in one kernel row, so its width divides the row's length.
    int nv = row % 64 == 0 ? 4 : row % 32 == 0 ? 2 : 1, mr = nv == 4 ? 6 : 8;
    long width = 16 * nv;
    // The filter's columns of each tile, one contiguous panel [o, width]: read in place, the o
    // rows of a tile lie `patch` floats apart, all in the same few L1 sets.
    float *panels = malloc(sizeof(float) * patch * o);
    if (!pc || !panels) abort();
    for (long k0 = 0; k0 < patch; k0 += width)
        for (long q = 0; q < o; q++)
            for (long t = 0; t < width; t++) panels[k0 * o + q * width + t] = w[q * patch + k0 + t];
    for (long p0 = 0; p0 < pixels; p0 += CHUNK) {
        long n = pixels - p0 < CHUNK ? pixels - p0 : CHUNK;
        pixel_corners(s, p0, n, pc);
        for (long k0 = 0; k0 < patch; k0 += 16 * nv) {
            long ky = k0 / row, t0 = k0 % row, kx[4];
            for (int j = 0; j < nv; j++) kx[j] = (t0 + 16 * j) / s->c;
            for (long i = 0; i < n; i += mr) {
                int rows = (int)(n - i < mr ? n - i : mr);
                const float *d = dy + (p0 + i) * o;
                if (nv == 4) data_tile_6x4(s, d, rows, panels + k0 * o, width, gx, pc, i, ky, t0, kx);
                else if (nv == 2) data_tile_8x2(s, d, rows, panels + k0 * o, width, gx, pc, i, ky, t0, kx);
                else data_tile_8x1(s, d, rows, panels + k0 * o, width, gx, pc, i, ky, t0, kx);
            }
        }
    }
    free(pc);
    free(panels);
}
