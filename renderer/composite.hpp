// Turning per-sample buffers into pixels: merging per-object layers, averaging samples.
// Full renders and cached re-renders both go through these functions, which is what
// makes them agree bit for bit.
#pragma once
#include "raster.hpp"
#include <array>

namespace air {

using Albedo = std::array<float, 3>;

// The table's albedo and its shade (normal +z).
Albedo table_albedo();
float table_shade();

// `into` takes layer's samples that are strictly nearer (over the two buffers' overlap);
// merging layers in list order resolves depth ties to the lower index, as rasterise does.
void merge(const SampleBuffer &layer, uint8_t id, SampleBuffer &into);

// Pixel (i, j) of box = mean over its n x n samples of clamp(albedo[id] * shade, 0, 1),
// written to rgb (a width-wide image). albedo[0] is the table.
void resolve_rgb(const SampleBuffer &buf, int n, const PixelBox &box, const Albedo *albedo, int width, float *rgb);

// The whole image as the table alone (the same arithmetic as resolve_rgb).
void fill_table(int n, int width, int height, float *rgb);

// The id of each pixel's centre sample; buf is on a lattice of odd n (n = 1: the centres).
void resolve_mask(const SampleBuffer &buf, int n, const PixelBox &box, int width, uint8_t *mask);

// shade[(id - 1) * width * height + pixel] += mean of the shade of samples seeing id > 0.
void resolve_shading(const SampleBuffer &buf, int n, const PixelBox &box, int width, int height, float *shade);

}  // namespace air
