#include "composite.hpp"
#include <algorithm>

namespace air {

Albedo table_albedo() { return {0.50f, 0.48f, 0.45f}; }
float table_shade() { return lambert({0.0, 0.0, 1.0}); }

namespace {

inline float clamp01(float v) { return v < 0.f ? 0.f : v > 1.f ? 1.f : v; }

inline void accumulate(float sum[3], const Albedo &a, float shade) {
    sum[0] += clamp01(a[0] * shade);
    sum[1] += clamp01(a[1] * shade);
    sum[2] += clamp01(a[2] * shade);
}

}  // namespace

void merge(const SampleBuffer &layer, uint8_t id, SampleBuffer &into) {
    const int c0 = std::max(layer.c0, into.c0), c1 = std::min(layer.c1, into.c1);
    const int r0 = std::max(layer.r0, into.r0), r1 = std::min(layer.r1, into.r1);
    if (c0 >= c1 || r0 >= r1) return;
    for (int r = r0; r < r1; r++) {
        const size_t from = size_t(r - layer.r0) * layer.stride() + (c0 - layer.c0);
        const size_t to = size_t(r - into.r0) * into.stride() + (c0 - into.c0);
        const float *lw = &layer.w[from], *ls = &layer.shade[from];
        float *w = &into.w[to], *s = &into.shade[to];
        uint8_t *ids = &into.id[to];
        for (int k = 0; k < c1 - c0; k++) {
            if (lw[k] > w[k]) {
                w[k] = lw[k];
                s[k] = ls[k];
                ids[k] = id;
            }
        }
    }
}

void resolve_rgb(const SampleBuffer &buf, int n, const PixelBox &box, const Albedo *albedo, int width, float *rgb) {
    const float spp = float(n * n);
    const int stride = buf.stride();
    for (int j = box.y0; j < box.y1; j++) {
        for (int i = box.x0; i < box.x1; i++) {
            float sum[3] = {0.f, 0.f, 0.f};
            for (int sr = 0; sr < n; sr++) {
                const size_t row = size_t(j * n + sr - buf.r0) * stride + (i * n - buf.c0);
                for (int sc = 0; sc < n; sc++) accumulate(sum, albedo[buf.id[row + sc]], buf.shade[row + sc]);
            }
            float *out = rgb + (size_t(j) * width + i) * 3;
            out[0] = sum[0] / spp;
            out[1] = sum[1] / spp;
            out[2] = sum[2] / spp;
        }
    }
}

void fill_table(int n, int width, int height, float *rgb) {
    const Albedo table = table_albedo();
    const float shade = table_shade(), spp = float(n * n);
    float sum[3] = {0.f, 0.f, 0.f};
    for (int s = 0; s < n * n; s++) accumulate(sum, table, shade);
    const float pixel[3] = {sum[0] / spp, sum[1] / spp, sum[2] / spp};
    for (size_t p = 0; p < size_t(width) * height; p++) std::copy(pixel, pixel + 3, rgb + 3 * p);
}

void resolve_mask(const SampleBuffer &buf, int n, const PixelBox &box, int width, uint8_t *mask) {
    const int mid = n / 2;
    for (int j = box.y0; j < box.y1; j++)
        for (int i = box.x0; i < box.x1; i++)
            mask[size_t(j) * width + i] = buf.id[size_t(j * n + mid - buf.r0) * buf.stride() + (i * n + mid - buf.c0)];
}

void resolve_shading(const SampleBuffer &buf, int n, const PixelBox &box, int width, int height, float *shade) {
    const float spp = float(n * n);
    const size_t plane = size_t(width) * height;
    for (int j = box.y0; j < box.y1; j++)
        for (int i = box.x0; i < box.x1; i++)
            for (int sr = 0; sr < n; sr++)
                for (int sc = 0; sc < n; sc++) {
                    const size_t s = size_t(j * n + sr - buf.r0) * buf.stride() + (i * n + sc - buf.c0);
                    if (buf.id[s] > 0) shade[(buf.id[s] - 1) * plane + size_t(j) * width + i] += buf.shade[s] / spp;
                }
}

}  // namespace air
