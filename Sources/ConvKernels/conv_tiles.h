// The kernels of conv_kernels.c for one instruction set, included once per set with these
// macros defined: V (the vector type) and L (its lanes); VZERO, VLOAD, VSTORE, VSET1, VFMA,
// VADD, VMAX; TARGET (the function attribute); N(name) (the name with the set's suffix);
// TILE_SHAPES(X) (X(MR, NV) for each tile shape), NV_FOR(channels) and MR_FOR(nv) (the shape
// for a width), DISPATCH(kind, nv, args…) (the call of that shape's tile).

/* Forward tile: out[i][L·j + ·] = bias + Σ_k a[i][offsets[k]] · wt[k, L·j + ·] for the rows i < rows
   (the others repeat the last row's patch and are not stored). */
#define FORWARD_TILE(MR, NV)                                                                                \
static TARGET void N(forward_tile_##MR##x##NV)(long patch, const int32_t *offsets, const float *const *rowsIn, \
        int rows, const float *wt, long ldw, const float *bias, int relu, float *const *rowsOut) {          \
    V acc[MR][NV];                                                                                          \
    const float *a[MR];                                                                                     \
    for (int i = 0; i < MR; i++) a[i] = rowsIn[i < rows ? i : rows - 1];                                    \
    for (int i = 0; i < MR; i++) for (int j = 0; j < NV; j++) acc[i][j] = VZERO();                          \
    for (long k = 0; k < patch; k++) {                                                                      \
        V w[NV];                                                                                            \
        for (int j = 0; j < NV; j++) w[j] = VLOAD(wt + k * ldw + L * j);                                    \
        long off = offsets[k];                                                                              \
        for (int i = 0; i < MR; i++) {                                                                      \
            V v = VSET1(a[i][off]);                                                                         \
            for (int j = 0; j < NV; j++) acc[i][j] = VFMA(v, w[j], acc[i][j]);                              \
        }                                                                                                   \
    }                                                                                                       \
    for (int i = 0; i < rows; i++)                                                                          \
        for (int j = 0; j < NV; j++) {                                                                      \
            V v = acc[i][j];                                                                                \
            if (bias) v = VADD(v, VLOAD(bias + L * j));                                                     \
            if (relu) v = VMAX(v, VZERO());                                                                 \
            VSTORE(rowsOut[i] + L * j, v);                                                                  \
        }                                                                                                   \
}

TILE_SHAPES(FORWARD_TILE)

/* The tiles of n output rows: patches at in[i] (taps at offsets), results at out[i]. */
static TARGET void N(forward_rows)(const AirConvShape *s, long n, const float *const *in, const int32_t *offsets,
                                const float *wt, const float *bias, int relu, float *const *out) {
    long patch = s->kh * s->kw * s->c, o = s->o;
    int nv = NV_FOR(o), mr = MR_FOR(nv);
    float *shifted[8];
    for (long o0 = 0; o0 < o; o0 += L * nv) {
        const float *b = bias ? bias + o0 : NULL;
        for (long i = 0; i < n; i += mr) {
            int rows = (int)(n - i < mr ? n - i : mr);
            for (int r = 0; r < rows; r++) shifted[r] = out[i + r] + o0;
            DISPATCH(forward_tile, nv, patch, offsets, in + i, rows, wt + o0, o, b, relu, shifted);
        }
    }
}

static TARGET void N(forward)(const AirConvShape *s, const float *x, const float *wt, const float *bias, int relu,
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
            N(forward_rows)(s, ni, inRows, inside, wt, bias, relu, outRows);
            N(forward_rows)(s, nb, borderRows, copied, wt, bias, relu, borderOut);
        }
    free(inside);
    free(copied);
}

static TARGET void N(forward_padded)(const AirConvShape *s, const float *xp, const float *wt, const float *bias,
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
        N(forward_rows)(s, n, in, offsets, wt, bias, relu, out);
    }
    free(offsets);
}

/* Filter gradient tile: dwt[k0 + i, o0 + L·j + ·] += Σ_p xp[base(p) + offsets[i]] · dy[p, o0 + L·j + ·]
   for the rows i < rows (the others repeat the last row's tap and are not stored). */
#define FILTER_TILE(MR, NV)                                                                                 \
static TARGET void N(filter_tile_##MR##x##NV)(long n, const int64_t *bases, const float *xp,                \
        const int32_t *offsets, int rows, const float *dy, long o, float *dwt) {                            \
    V acc[MR][NV];                                                                                          \
    long off[MR];                                                                                           \
    for (int i = 0; i < MR; i++) off[i] = offsets[i < rows ? i : rows - 1];                                 \
    for (int i = 0; i < MR; i++) for (int j = 0; j < NV; j++) acc[i][j] = VZERO();                          \
    for (long p = 0; p < n; p++) {                                                                          \
        const float *a = xp + bases[p];                                                                     \
        V g[NV];                                                                                            \
        for (int j = 0; j < NV; j++) g[j] = VLOAD(dy + p * o + L * j);                                      \
        for (int i = 0; i < MR; i++) {                                                                      \
            V v = VSET1(a[off[i]]);                                                                         \
            for (int j = 0; j < NV; j++) acc[i][j] = VFMA(v, g[j], acc[i][j]);                              \
        }                                                                                                   \
    }                                                                                                       \
    for (int i = 0; i < rows; i++)                                                                          \
        for (int j = 0; j < NV; j++) {                                                                      \
            float *d = dwt + i * o + L * j;                                                                 \
            VSTORE(d, VADD(VLOAD(d), acc[i][j]));                                                           \
        }                                                                                                   \
}

TILE_SHAPES(FILTER_TILE)

static TARGET void N(filter_gradient)(const AirConvShape *s, const float *xp, const float *dy, float *dwt) {
    long patch = s->kh * s->kw * s->c, o = s->o, pixels = s->batch * s->oh * s->ow;
    int32_t *offsets = tap_offsets(s, padded_width(s));
    int64_t bases[CHUNK];
    int nv = NV_FOR(o), mr = MR_FOR(nv);
    for (long p0 = 0; p0 < pixels; p0 += CHUNK) {
        long n = pixels - p0 < CHUNK ? pixels - p0 : CHUNK;
        pixel_bases(s, p0, n, bases);
        const float *d = dy + p0 * o;
        for (long o0 = 0; o0 < o; o0 += L * nv)
            for (long k = 0; k < patch; k += mr) {
                int rows = (int)(patch - k < mr ? patch - k : mr);
                float *out = dwt + k * o + o0;
                DISPATCH(filter_tile, nv, n, bases, xp, offsets + k, rows, d + o0, o, out);
            }
    }
    free(offsets);
}

/* Data gradient tile, taps k0 ..< k0 + L·NV of kernel row ky (each L lanes one tap's channels,
   tap kx[j]): for the pixels i < rows, gx at that tap += Σ_o dy[i, o] · w[o, k0 + ·], skipping
   the taps in the padding. */
#define DATA_TILE(MR, NV)                                                                                   \
static TARGET void N(data_tile_##MR##x##NV)(const AirConvShape *s, const float *dy, int rows, const float *w, \
        long ldw, float *gx, const PixelCorners *pc, long i0, long ky, long t0, const long *kx) {           \
    long o = s->o;                                                                                          \
    V acc[MR][NV];                                                                                          \
    for (int i = 0; i < MR; i++) for (int j = 0; j < NV; j++) acc[i][j] = VZERO();                          \
    for (long q = 0; q < o; q++) {                                                                          \
        V wv[NV];                                                                                           \
        for (int j = 0; j < NV; j++) wv[j] = VLOAD(w + q * ldw + L * j);                                    \
        for (int i = 0; i < MR; i++) {                                                                      \
            V v = VSET1(dy[(i < rows ? i : 0) * o + q]);                                                    \
            for (int j = 0; j < NV; j++) acc[i][j] = VFMA(v, wv[j], acc[i][j]);                             \
        }                                                                                                   \
    }                                                                                                       \
    for (int i = 0; i < rows; i++) {                                                                        \
        long iy = pc->y0[i0 + i] + ky;                                                                      \
        if (iy < 0 || iy >= s->h) continue;                                                                 \
        float *d = gx + (pc->corner[i0 + i] + ky * s->w) * s->c + t0;                                       \
        for (int j = 0; j < NV; j++) {                                                                      \
            long ix = pc->x0[i0 + i] + kx[j];                                                               \
            if (ix < 0 || ix >= s->w) continue;                                                             \
            VSTORE(d + L * j, VADD(VLOAD(d + L * j), acc[i][j]));                                           \
        }                                                                                                   \
    }                                                                                                       \
}

TILE_SHAPES(DATA_TILE)

static TARGET void N(data_gradient)(const AirConvShape *s, const float *dy, const float *w, float *gx) {
    long patch = s->kh * s->kw * s->c, o = s->o, pixels = s->batch * s->oh * s->ow, row = s->kw * s->c;
    PixelCorners *pc = malloc(sizeof(PixelCorners));
    // A tile's taps must lie in one kernel row, so its width divides the row's length.
    int nv = NV_FOR(row), mr = MR_FOR(nv);
    long width = L * nv;
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
        for (long k0 = 0; k0 < patch; k0 += L * nv) {
            long ky = k0 / row, t0 = k0 % row, kx[4];
            for (int j = 0; j < nv; j++) kx[j] = (t0 + L * j) / s->c;
            for (long i = 0; i < n; i += mr) {
                int rows = (int)(n - i < mr ? n - i : mr);
                const float *d = dy + (p0 + i) * o;
                DISPATCH(data_tile, nv, s, d, rows, panels + k0 * o, width, gx, pc, i, ky, t0, kx);
            }
        }
    }
    free(pc);
    free(panels);
}

#undef FORWARD_TILE
#undef FILTER_TILE
#undef DATA_TILE
