#ifndef AIR_ADAM_UPDATE_H
#define AIR_ADAM_UPDATE_H

/// One Adam update of n elements, in place: m = b1·m + r1·g, v = b2·v + r2·g·g,
/// x = x − (lr·(m / c1) / (√(v / c2) + eps) + decay·x), each operation rounded to Float in this
/// order (no fused multiply-add), so every element gets the same bits as the scalar formula.
void air_adam_update(float *x, float *m, float *v, const float *g, long n,
                     float b1, float b2, float r1, float r2, float c1, float c2,
                     float eps, float lr, float decay);

#endif
