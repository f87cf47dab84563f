// Hard shadows of the directional light (SCENE-SPEC "Light, table and shading").
//
// A point p is in the shadow of object B when p + tL meets B for some t > 0, that is when p
// lies in B's shadow volume: B swept along -L, a convex solid. Above the table it is the
// intersection of half-spaces: B's faces turned towards the light (n.L >= 0) and, through
// each silhouette edge (a lit face next to a face turned away), the plane containing the
// edge and L. On the table it is B's projection along L, bounded by the projections of the
// edges between faces turned to the light and faces not. On a receiving plane (the table, or a lit face of another object) the shadow is
// a convex polygon bounded by such planes; seen from the eye it is a convex screen polygon.
// A sample at (X, Y) hits the receiving plane at a point that is a projective function of
// (X, Y), so each bounding plane's test "p inside" is exactly a linear test
// a X + b Y + c >= 0 in screen space: no point is reconstructed per sample, and the polygon
// is filled row by row like a face. (The spec's t > 1e-4 rather than t > 0 differs only on
// a sliver of width 1e-4 along the foot of a solid.)
//
// A sample in shadow keeps its slot's id and face and gets kShadowed added (raster.hpp);
// the palette holds the ambient-only colour there.
#pragma once
#include "light.hpp"
#include "raster.hpp"
#include "shapes.hpp"
#include <vector>

namespace air {

// The half-space n.x <= d.
struct Plane {
    glm::dvec3 n;
    double d;
};

// The line a X + b Y + c = 0 of a screen polygon, inside where >= 0, bounding the polygon
// only in rows y0 <= Y <= y1.
struct ShadowEdge {
    double a, b, c, inv_a;
    double y0, y1;
};

// A convex screen polygon of shadow on one receiving surface: the samples inside it whose
// slot is `slot` are in shadow. Cast by object `caster`, received by object `receiver`
// (-1: the table). Its edges are kept as the left chain (inside right of the edge, sorted
// top to bottom), the right chain (likewise), then the edges that bound every row they
// meet (horizontal ones, the horizon).
struct ShadowPolygon {
    uint32_t slot;
    int caster, receiver;
    int first_edge, left, right, other;  // edges[first_edge ..< first_edge + left + right + other]
    double y0, y1;                       // screen rows it covers
    PixelBox box;                        // pixels it covers
};

struct Shadows {
    std::vector<ShadowPolygon> polygons;
    std::vector<ShadowEdge> edges;
    void clear() {
        polygons.clear();
        edges.clear();
    }
};

// An object as a caster and a receiver of shadows, in world space.
struct ShadowObject {
    const Mesh *mesh = nullptr;
    std::vector<glm::dvec3> vertices;  // world positions of the mesh's vertices
    std::vector<Plane> faces;          // world plane of every mesh face, outward normal
    std::vector<bool> lit;             // per face: n.L > 0, a face that can receive shadows
    std::vector<Plane> volume;         // the shadow volume's facets (valid above the table)
    double x0, y0, x1, y1;             // world xy box of the vertices and their feet on the table
    double ox0, oy0, ox1, oy1;         // world xy box of the vertices alone
    Shadows table;                     // its shadow on the table (no polygon when none is seen)
    PixelBox box;                      // pixels the shadow volume above the table can cover
};

// `drawn` is the same object prepared for rasterisation (its screen box bounds the solid's).
void prepare_shadow(const View &view, const Light &light, const air_object &object, const PreparedObject &drawn,
                    int index, ShadowObject &out);

// Appends the shadows that object `ci` casts on the lit faces of object `ri` that are drawn
// (receiver_faces: the prepared object's screen polygons).
void face_shadows(const View &view, const ShadowObject &caster, int ci, const ShadowObject &receiver,
                  const PreparedObject &receiver_faces, int ri, Shadows &out);

// Every shadow of one object on another (those on the table are in the casters).
void object_shadows(const View &view, const std::vector<ShadowObject> &casters,
                    const std::vector<PreparedObject> &objects, int count, Shadows &out);

// Adds kShadowed to the slot of every sample of buf inside `region` (pixels) that the
// polygon shadows. Marking is idempotent and the polygons' order does not matter.
void mark_shadow(const Shadows &shadows, const ShadowPolygon &polygon, const Lattice &lattice, const PixelBox &region,
                 SampleBuffer &buf);
// Every polygon of shadows.
void mark_shadows(const Shadows &shadows, const Lattice &lattice, const PixelBox &region, SampleBuffer &buf);

}  // namespace air
