// Triangle rasterisation: an object is turned into screen triangles once per camera
// (prepare_object), then its triangles are scan-tested against a sample lattice with
// edge functions and an inverse-depth test (rasterise).
#pragma once
#include "air_renderer.h"
#include "view.hpp"
#include <cstdint>
#include <vector>

namespace air {

// A half-open pixel rectangle [x0, x1) x [y0, y1).
struct PixelBox {
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    bool empty() const { return x0 >= x1 || y0 >= y1; }
};

PixelBox unite(const PixelBox &a, const PixelBox &b);
PixelBox intersect(const PixelBox &a, const PixelBox &b);

// E(X, Y) = a X + (b Y + c): positive inside. On E == 0 the sample belongs to the
// triangle only if `tie` is set; the two triangles sharing an edge get exactly opposite
// coefficients, so exactly one of them owns such a sample.
struct Edge {
    float a, b, c;
    bool tie;
};

struct ScreenTriangle {
    Edge e[3];
    float wa, wb, wc;           // 1/depth = wa X + (wb Y + wc), the face's plane
    float shade;                // 0.3 + 0.7 max(0, n.L)
    double x0, y0, x1, y1;      // screen bounding box
};

struct PreparedObject {
    PixelBox box;                        // every pixel any sample of the object can fall in
    std::vector<ScreenTriangle> tris;    // front faces only, clipped to the near plane
};

// The object's front faces, clipped, projected and split into triangles.
void prepare_object(const View &view, const air_object &object, PreparedObject &out);

// Per-sample state over a rectangle [c0, c1) x [r0, r1) of a lattice: the nearest
// surface so far (inverse depth w, 0 = nothing), its shade, and who it is (id 0 = table,
// k + 1 = object k).
struct SampleBuffer {
    int c0 = 0, r0 = 0, c1 = 0, r1 = 0;
    std::vector<float> w, shade;
    std::vector<uint8_t> id;

    int stride() const { return c1 - c0; }
    // Covers pixel box `box` of a lattice with n x n samples per pixel; every sample sees the table.
    void reset(const PixelBox &box, int n, float table_shade);
};

// Writes the samples of buf (inside the object's box) that see object `id` nearer than
// what buf holds. Ties in depth keep what is there, so objects drawn in list order
// resolve ties to the lower index.
void rasterise(const PreparedObject &object, const Lattice &lattice, uint8_t id, SampleBuffer &buf);

// Shading of the spec: 0.3 + 0.7 max(0, n.L).
float lambert(const glm::dvec3 &normal);

}  // namespace air
