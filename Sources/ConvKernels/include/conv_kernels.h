// Implicit-GEMM convolution for AVX-512 and AVX2 CPUs (the Engine's conv2d).
//
// The convolution of an NHWC input x [batch, h, w, c] with an OHWI filter [o, kh, kw, c] and
// zero padding: output pixel p (flattened over batch, rows, columns) reads tap k of its patch at
// x[base(p) + offset(k)], so the patch is never copied out (no im2col matrix). The forward pass
// copies only the patches that reach into the padding; the gradients work on a zero-padded
// copy xp [batch, h + 2·pad, w + 2·pad, c] (the filter gradient) or skip the padding's taps
// (the input gradient).
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction sets the kernels are compiled for.
#define AIR_CONV_AVX2 1
#define AIR_CONV_AVX512 2

typedef struct {
    long batch, h, w, c;      // input: images, height, width, channels
    long kh, kw, stride, pad; // kernel, stride and zero padding
    long oh, ow, o;           // output height, width, channels
    long isa;                 // AIR_CONV_AVX512 or AIR_CONV_AVX2, one this CPU has
} AirConvShape;

/// The widest set this CPU runs (checked at run time), or 0 for neither.
int air_conv_best_isa(void);

/// Whether the kernels take this shape: o a multiple of 16 (forward and filter gradient), and
/// for the data gradient also c a multiple of 16 (so that 16 lanes are one tap's channels).
int air_conv_filter_shape_ok(const AirConvShape *s);
int air_conv_data_shape_ok(const AirConvShape *s);

/// Output pixels the kernels take at a time.
#define AIR_CONV_CHUNK 256

/// y[p, ·] = bias + Σ_k patch(p)[k] · wt[k, ·] (max(0, ·) with relu) for the output pixels p of
/// the ranges starts[r] ..< starts[r] + counts[r]; wt is the filter transposed, [kh·kw·c, o];
/// bias may be NULL; border holds AIR_CONV_CHUNK·kh·kw·c floats for the patches that reach into
/// the padding. Each output sums its taps in the order k = 0, 1, …, whichever pixels are asked
/// for, so a pixel's value does not depend on the ranges.
void air_conv_forward(const AirConvShape *s, const float *x, const float *wt, const float *bias, int relu,
                      const long *starts, const long *counts, long ranges, float *y, float *border);

/// air_conv_forward of every output pixel, reading the padded copy xp of x (air_conv_pad): the
/// same values, without copying out the patches that reach into the padding.
void air_conv_forward_padded(const AirConvShape *s, const float *xp, const float *wt, const float *bias, int relu, float *y);

/// Elements of the padded copy of x.
long air_conv_padded_count(const AirConvShape *s);

/// xp's interior = x, its border = 0.
void air_conv_pad(const AirConvShape *s, const float *x, float *xp);

/// dwt [kh·kw·c, o] += Σ_p patch(p) ⊗ dy[p] (the filter gradient, transposed).
void air_conv_filter_gradient(const AirConvShape *s, const float *xp, const float *dy, float *dwt);

/// gx[tap k of p] += Σ_o dy[p, o] · w[o, k] for the taps inside the image (the input gradient).
void air_conv_data_gradient(const AirConvShape *s, const float *dy, const float *w, float *gx);

#ifdef __cplusplus
}
#endif
