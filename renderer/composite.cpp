#include "composite.hpp"
#include <algorithm>
#include <limits>

namespace air {

namespace {

inline float clamp01(float v) { return v < 0.f ? 0.f : v > 1.f ? 1.f : v; }

inline Colour lit(const Albedo &a, float shade) {
    return {{clamp01(a[0] * shade), clamp01(a[1] * shade), clamp01(a[2] * shade), 0.f}};
}

inline void average(const float sum[3], float spp, float *out) {
    out[0] = sum[0] / spp;
    out[1] = sum[1] / spp;
    out[2] = sum[2] / spp;
}

}  // namespace

void Palette::reset(int count, const Light &light) {
    colour.resize(size_t(count + 1) * kSlotsPerId);
    shade.resize(size_t(count + 1) * kSlotsPerId);
    shade[0] = light.table_shade();
    colour[0] = lit(light.table, shade[0]);
    shadows = light.shadows;
    ambient = light.ambient_shade();
    if (shadows) {
        shade[kShadowed] = ambient;
        colour[kShadowed] = lit(light.table, ambient);
    }
}

void Palette::set(int id, const PreparedObject &object, const float albedo[3]) {
    const Albedo a = {albedo[0], albedo[1], albedo[2]};
    for (size_t f = 0; f < object.face_shade.size(); f++) {
        shade[id * kSlotsPerId + f] = object.face_shade[f];
        colour[id * kSlotsPerId + f] = lit(a, object.face_shade[f]);
    }
    if (shadows) {
        const Colour dark = lit(a, ambient);
        for (size_t f = 0; f < object.face_shade.size(); f++) {
            shade[id * kSlotsPerId + kShadowed + f] = ambient;
            colour[id * kSlotsPerId + kShadowed + f] = dark;
        }
    }
}

void merge(const SampleBuffer &layer, SampleBuffer &into) {
    const int c0 = std::max(layer.c0, into.c0), c1 = std::min(layer.c1, into.c1);
    const int r0 = std::max(layer.r0, into.r0), r1 = std::min(layer.r1, into.r1);
    if (c0 >= c1 || r0 >= r1) return;
    for (int r = r0; r < r1; r++) {
        const float *__restrict lw = &layer.w[layer.at(c0, r)];
        const uint32_t *__restrict ls = &layer.slot[layer.at(c0, r)];
        float *__restrict w = &into.w[into.at(c0, r)];
        uint32_t *__restrict s = &into.slot[into.at(c0, r)];
        const int count = c1 - c0;
#pragma clang loop vectorize(assume_safety)  // the layer and the target never overlap
        for (int k = 0; k < count; k++) {
            const bool nearer = lw[k] > w[k];
            w[k] = nearer ? lw[k] : w[k];
            s[k] = nearer ? ls[k] : s[k];
        }
    }
}

namespace {

// resolve_rgb with the sample grid size known at compile time, so the sums unroll and vectorise.
template <int N>
void resolve_rgb_n(const SampleBuffer &buf, const PixelBox &box, const Palette &palette, int width, float *rgb) {
    const Colour *colour = palette.colour.data();
    for (int j = box.y0; j < box.y1; j++) {
        for (int i = box.x0; i < box.x1; i++) {
            float sum[4] = {0.f, 0.f, 0.f, 0.f};
            for (int sr = 0; sr < N; sr++) {
                const uint32_t *slot = &buf.slot[buf.at(i * N, j * N + sr)];
                for (int sc = 0; sc < N; sc++) {
                    const float *c = colour[slot[sc]].c;
                    for (int ch = 0; ch < 4; ch++) sum[ch] += c[ch];
                }
            }
            average(sum, float(N * N), rgb + (size_t(j) * width + i) * 3);
        }
    }
}

}  // namespace

void resolve_rgb(const SampleBuffer &buf, int n, const PixelBox &box, const Palette &palette, int width, float *rgb) {
    switch (n) {
    case 1: return resolve_rgb_n<1>(buf, box, palette, width, rgb);
    case 2: return resolve_rgb_n<2>(buf, box, palette, width, rgb);
    case 3: return resolve_rgb_n<3>(buf, box, palette, width, rgb);
    default: return resolve_rgb_n<4>(buf, box, palette, width, rgb);
    }
}

void fill_table(int n, int width, int height, const Light &light, float *rgb, const PixelBox *box) {
    const Colour table = lit(light.table, light.table_shade());
    float sum[3] = {0.f, 0.f, 0.f}, pixel[3];
    for (int s = 0; s < n * n; s++)
        for (int c = 0; c < 3; c++) sum[c] += table.c[c];
    average(sum, float(n * n), pixel);
    const PixelBox b = box ? *box : PixelBox{0, 0, width, height};
    if (b.empty()) return;
    float *first = rgb + (size_t(b.y0) * width + b.x0) * 3;
    for (int i = 0; i < b.x1 - b.x0; i++) std::copy(pixel, pixel + 3, first + 3 * i);
    for (int j = b.y0 + 1; j < b.y1; j++) std::copy(first, first + 3 * (b.x1 - b.x0), rgb + (size_t(j) * width + b.x0) * 3);
}

void resolve_mask(const SampleBuffer &buf, int n, const PixelBox &box, int width, uint8_t *mask) {
    const int mid = n / 2;
    for (int j = box.y0; j < box.y1; j++)
        for (int i = box.x0; i < box.x1; i++)
            mask[size_t(j) * width + i] = uint8_t(buf.slot[buf.at(i * n + mid, j * n + mid)] / kSlotsPerId);
}

void resolve_shading(const SampleBuffer &buf, int n, const PixelBox &box, const Palette &palette, int width,
                     int height, float *shade, int only) {
    const float spp = float(n * n);
    const size_t plane = size_t(width) * height;
    // The ids written: every object's (plane id - 1), or object `only`'s (plane 0).
    const int first = only >= 0 ? only + 1 : 1, last = only >= 0 ? only + 1 : std::numeric_limits<int>::max();
    for (int j = box.y0; j < box.y1; j++)
        for (int i = box.x0; i < box.x1; i++)
            for (int sr = 0; sr < n; sr++)
                for (int sc = 0; sc < n; sc++) {
                    const int slot = buf.slot[buf.at(i * n + sc, j * n + sr)], id = slot / kSlotsPerId;
                    if (id >= first && id <= last) shade[size_t(id - first) * plane + size_t(j) * width + i] += palette.shade[slot] / spp;
                }
}

}  // namespace air
