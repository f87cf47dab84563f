// Polygon rasterisation: an object is turned into screen polygons once per camera
// (prepare_object), then each polygon is tested against a sample lattice with edge
// functions and an inverse-depth test (rasterise).
#pragma once
#include "air_renderer.h"
#include "light.hpp"
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
// The pixels that a screen rectangle [x0, x1] x [y0, y1] (centred coordinates) touches, inside
// the image. Samples sit at least 1/8 pixel inside their pixel, far more than rounding.
PixelBox pixel_box(const View &view, double x0, double y0, double x1, double y1);
PixelBox intersect(const PixelBox &a, const PixelBox &b);

// The line E(X, Y) = a X + (b Y + c) = 0, positive inside. In a sample row Y an edge with
// a != 0 bounds the polygon at X* = -(b Y + c) / a, turned into a column by one fixed
// formula (first_column in raster.cpp): the polygon gets the columns on its side, and the
// neighbour across the edge, whose coefficients are the exact negation, computes the same
// X* and gets exactly the other columns, so shared edges leave no gaps and no overlaps.
// Rows that run along a horizontal edge (a == 0) are inside when b Y + c > threshold:
// 0, or minus the smallest float (so 0 counts) for one of the two faces.
struct Edge {
    float a, b, c, threshold;
    float inv_a;   // 1 / a
    float y0, y1;  // the rows (screen Y) where the edge can bound the polygon, with a margin
};

// One front face, clipped to the near plane: a convex polygon on screen.
struct ScreenPolygon {
    int first_edge, edge_count;  // into PreparedObject::edges
    float wa, wb, wc;            // 1/depth = wa X + (wb Y + wc), the face's plane
    int face;                    // index of the mesh face
    double x0, y0, x1, y1;       // screen bounding box
};

struct PreparedObject {
    PixelBox box;                       // every pixel any sample of the object can fall in
    std::vector<ScreenPolygon> polygons;
    std::vector<Edge> edges;
    std::vector<float> face_shade;      // ambient + diffuse max(0, n.L) for every mesh face
};

// The object's front faces, clipped, projected, with their edge functions.
void prepare_object(const View &view, const Light &light, const air_object &object, PreparedObject &out);

// A sample's surface is named by a slot, id * kSlotsPerId + face: id 0 is the table,
// id k + 1 object k, face the mesh face; a sample in shadow has kShadowed added (shadow.hpp).
// Colours are looked up per slot (composite.hpp).
const int kShadowed = 32;    // more than the largest mesh's 26 faces
const int kSlotsPerId = 64;  // lit and shadowed slots of one id

// Per-sample state over a rectangle [c0, c1) x [r0, r1) of a lattice: the nearest
// surface so far (inverse depth w, 0 = nothing) and its slot.
struct SampleBuffer {
    int c0 = 0, r0 = 0, c1 = 0, r1 = 0;
    std::vector<float> w;
    std::vector<uint32_t> slot;

    int stride() const { return c1 - c0; }
    size_t at(int c, int r) const { return size_t(r - r0) * size_t(c1 - c0) + size_t(c - c0); }
    // Covers pixel box `box` of a lattice with n x n samples per pixel. With clear, every
    // sample sees the table; without, call clear() on every part that will be read.
    void reset(const PixelBox &box, int n, bool clear = true);
    void clear(const PixelBox &box, int n);
};

// Writes the samples of buf (inside the object's box) that see object `id` (1...255)
// nearer than what buf holds. Ties in depth keep what is there, so objects drawn in list
// order resolve ties to the lower index.
void rasterise(const PreparedObject &object, const Lattice &lattice, int id, SampleBuffer &buf);

}  // namespace air
