// Adam's update as a plain C loop. In Swift the SIMD square root and the division under it
// went lane by lane through libm's sqrtf with its errno branch (about a ninth of a training
// step); compiled here without errno and without contraction, the loop runs on vector
// instructions (the widest the CPU has, chosen at load time) and rounds exactly as before.
#include <math.h>
#include "adam_update.h"

#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void air_adam_update(float *x, float *m, float *v, const float *g, long n,
                     float b1, float b2, float r1, float r2, float c1, float c2,
                     float eps, float lr, float decay) {
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + r1 * gi;
        float vi = b2 * v[i] + r2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float update = (mi / c1) / (sqrtf(vi / c2) + eps);
        x[i] = x[i] - (lr * update + decay * x[i]);
    }
}
