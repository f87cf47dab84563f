// Turning per-sample buffers into pixels: merging per-object layers, averaging samples.
// Full renders and cached re-renders both go through these functions, which is what
// makes them agree bit for bit.
#pragma once
#include "raster.hpp"
#include <array>

namespace air {

// A palette colour, padded to four lanes so that sums vectorise.
struct alignas(16) Colour {
    float c[4];
};

// What each sample slot (raster.hpp) shows: its clamped colour clamp(albedo * shade, 0, 1)
// and its shade, computed once per face instead of once per sample. With shadows, slot
// + kShadowed holds the ambient-only colour of the same surface.
struct Palette {
    std::vector<Colour> colour;
    std::vector<float> shade;
    bool shadows = false;
    float ambient = 0.f;

    // Room for ids 0 ... count, with the table at id 0 under `light`.
    void reset(int count, const Light &light);
    void set(int id, const PreparedObject &object, const float albedo[3]);
};

// `into` takes layer's samples that are strictly nearer (over the two buffers' overlap);
// merging layers in list order resolves depth ties to the lower index, as rasterise does.
void merge(const SampleBuffer &layer, SampleBuffer &into);

// Pixel (i, j) of box = mean over its n x n samples of the slot colours, written to rgb
// (a width-wide image).
void resolve_rgb(const SampleBuffer &buf, int n, const PixelBox &box, const Palette &palette, int width, float *rgb);

// The whole image (or the pixels of box) as the unshadowed table alone (the same arithmetic
// as resolve_rgb).
void fill_table(int n, int width, int height, const Light &light, float *rgb, const PixelBox *box = nullptr);

// The id of each pixel's centre sample; buf is on a lattice of odd n (n = 1: the centres).
void resolve_mask(const SampleBuffer &buf, int n, const PixelBox &box, int width, uint8_t *mask);

// shade[(id - 1) * width * height + pixel] += shade / spp for each sample seeing id > 0.
// With only >= 0, object `only`'s plane alone (the same sums), at shade[pixel].
void resolve_shading(const SampleBuffer &buf, int n, const PixelBox &box, const Palette &palette, int width,
                     int height, float *shade, int only = -1);

}  // namespace air
