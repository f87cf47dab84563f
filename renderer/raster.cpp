#include "raster.hpp"
#include "shapes.hpp"
#include <algorithm>
#include <cmath>

namespace air {

namespace {

// Geometry closer to the eye plane than this is cut away, so that nothing behind the
// eye wraps around through the projection.
const double kNear = 1e-4;

// A polygon corner. `key` names it independently of the face it belongs to (a mesh
// vertex index, or an index for "the near-plane crossing of mesh edge (a, b)"), so that
// faces sharing an edge compute bit-identical edge functions from it.
struct Corner {
    long long key;
    glm::dvec3 p;
    double z;
    glm::dvec2 s;
};

// Edge function of the line from p to q, computed from the endpoint with the smaller
// key so that the edge seen from its other face is the exact negation.
Edge make_edge(const Corner &p, const Corner &q) {
    bool flip = q.key < p.key;
    const Corner &a = flip ? q : p, &b = flip ? p : q;
    double ea = b.s.y - a.s.y, eb = -(b.s.x - a.s.x);
    double ec = -(ea * a.s.x + eb * a.s.y);
    Edge e{float(ea), float(eb), float(ec), false};
    if (flip) e = {-e.a, -e.b, -e.c, false};
    // Top-left style rule: antisymmetric, so one of the two faces owns the edge.
    e.tie = e.a > 0.f || (e.a == 0.f && e.b > 0.f);
    return e;
}

void add_triangle(const Corner &a, const Corner &b, const Corner &c, const glm::dvec3 &plane, float shade,
                  std::vector<ScreenTriangle> &out) {
    // Twice the signed area; front faces (counter-clockwise seen from outside) come out
    // positive with y down. Anything else is an edge-on sliver lost to rounding.
    double area = (b.s.y - a.s.y) * (c.s.x - a.s.x) - (b.s.x - a.s.x) * (c.s.y - a.s.y);
    if (!(area > 0.0) || !std::isfinite(area)) return;
    ScreenTriangle t;
    t.e[0] = make_edge(a, b);
    t.e[1] = make_edge(b, c);
    t.e[2] = make_edge(c, a);
    t.wa = float(plane.x);
    t.wb = float(plane.y);
    t.wc = float(plane.z);
    t.shade = shade;
    t.x0 = std::min({a.s.x, b.s.x, c.s.x});
    t.x1 = std::max({a.s.x, b.s.x, c.s.x});
    t.y0 = std::min({a.s.y, b.s.y, c.s.y});
    t.y1 = std::max({a.s.y, b.s.y, c.s.y});
    out.push_back(t);
}

// floor(v) clamped to [lo, hi]; NaN gives lo.
int clamp_floor(double v, int lo, int hi) {
    if (!(v > lo)) return lo;
    if (v >= hi) return hi;
    return int(std::floor(v));
}

}  // namespace

PixelBox unite(const PixelBox &a, const PixelBox &b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return {std::min(a.x0, b.x0), std::min(a.y0, b.y0), std::max(a.x1, b.x1), std::max(a.y1, b.y1)};
}

PixelBox intersect(const PixelBox &a, const PixelBox &b) {
    PixelBox r{std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1), std::min(a.y1, b.y1)};
    return r.empty() ? PixelBox{} : r;
}

float lambert(const glm::dvec3 &normal) {
    const glm::dvec3 light = glm::normalize(glm::dvec3(-0.4, -0.6, 1.0));
    return float(0.3 + 0.7 * std::max(0.0, glm::dot(normal, light)));
}

void prepare_object(const View &view, const air_object &o, PreparedObject &out) {
    const Mesh &mesh = shape_mesh(o.shape);
    const double theta = double(o.rotation_deg) * 3.14159265358979323846 / 180.0;
    const double cs = std::cos(theta), sn = std::sin(theta);
    auto to_world = [&](const glm::dvec3 &v) {
        return glm::dvec3(cs * v.x - sn * v.y + double(o.x), sn * v.x + cs * v.y + double(o.y), v.z);
    };
    const long long nv = (long long)mesh.vertices.size();

    out.tris.clear();
    Corner world[48];  // the largest mesh (the cylinder) has 48 vertices
    for (long long i = 0; i < nv; i++) {
        Corner &c = world[i];
        c.key = i;
        c.p = to_world(mesh.vertices[i]);
        c.z = view.depth(c.p);
        if (c.z >= kNear) c.s = view.project(c.p);
    }

    std::vector<Corner> poly, clipped;
    poly.reserve(32);
    clipped.reserve(32);
    for (const Face &face : mesh.faces) {
        const glm::dvec3 normal(cs * face.normal.x - sn * face.normal.y, sn * face.normal.x + cs * face.normal.y,
                            face.normal.z);
        const glm::dvec3 p0 = world[mesh.indices[face.first]].p;
        if (!(glm::dot(normal, view.eye - p0) > 0.0)) continue;  // back face (or edge-on)

        poly.clear();
        bool all_in = true;
        for (int k = 0; k < face.count; k++) {
            poly.push_back(world[mesh.indices[face.first + k]]);
            all_in = all_in && poly.back().z >= kNear;
        }
        if (!all_in) {
            // Sutherland-Hodgman against depth >= kNear; crossings are interpolated from the
            // lower key so both faces of an edge get the same point.
            clipped.clear();
            for (size_t k = 0; k < poly.size(); k++) {
                const Corner &p = poly[k], &q = poly[(k + 1) % poly.size()];
                bool pin = p.z >= kNear, qin = q.z >= kNear;
                if (pin) clipped.push_back(p);
                if (pin != qin) {
                    const Corner &lo = p.key < q.key ? p : q, &hi = p.key < q.key ? q : p;
                    Corner x;
                    double s = (kNear - lo.z) / (hi.z - lo.z);
                    x.p = lo.p + s * (hi.p - lo.p);
                    x.key = nv + lo.key * nv + hi.key;
                    x.z = view.depth(x.p);
                    if (!(x.z > 0.0)) x.z = kNear;
                    x.s = view.project(x.p);
                    clipped.push_back(x);
                }
            }
            poly.swap(clipped);
            if (poly.size() < 3) continue;
        }

        const glm::dvec3 plane = view.inverse_depth_plane(normal, p0);
        const float shade = lambert(normal);
        for (size_t k = 1; k + 1 < poly.size(); k++) add_triangle(poly[0], poly[k], poly[k + 1], plane, shade, out.tris);
    }

    // The pixels the triangles' bounding boxes touch. Samples sit at least 1/8 pixel inside
    // their pixel, far more than rounding can move an edge.
    PixelBox box;
    for (const ScreenTriangle &t : out.tris) {
        PixelBox b{clamp_floor(t.x0 + view.half_w, 0, view.width), clamp_floor(t.y0 + view.half_h, 0, view.height),
                   clamp_floor(t.x1 + view.half_w, -1, view.width - 1) + 1,
                   clamp_floor(t.y1 + view.half_h, -1, view.height - 1) + 1};
        box = unite(box, b);
    }
    out.box = box;
}

void SampleBuffer::reset(const PixelBox &box, int n, float table_shade) {
    c0 = box.x0 * n;
    r0 = box.y0 * n;
    c1 = box.x1 * n;
    r1 = box.y1 * n;
    size_t size = box.empty() ? 0 : size_t(c1 - c0) * size_t(r1 - r0);
    w.assign(size, 0.f);
    shade.assign(size, table_shade);
    id.assign(size, 0);
}

void rasterise(const PreparedObject &object, const Lattice &lattice, uint8_t id, SampleBuffer &buf) {
    const int n = lattice.n;
    const int wc0 = std::max(object.box.x0 * n, buf.c0), wc1 = std::min(object.box.x1 * n, buf.c1);
    const int wr0 = std::max(object.box.y0 * n, buf.r0), wr1 = std::min(object.box.y1 * n, buf.r1);
    if (wc0 >= wc1 || wr0 >= wr1) return;
    const int stride = buf.stride();

    for (const ScreenTriangle &t : object.tris) {
        // Lattice columns whose X lies in [x0, x1], with a margin of one for rounding.
        int c_lo = std::max(wc0, clamp_floor((t.x0 + lattice.half_w) * n - 0.5, wc0 - 1, wc1));
        int c_hi = std::min(wc1, clamp_floor((t.x1 + lattice.half_w) * n - 0.5, wc0 - 1, wc1) + 2);
        int r_lo = std::max(wr0, clamp_floor((t.y0 + lattice.half_h) * n - 0.5, wr0 - 1, wr1));
        int r_hi = std::min(wr1, clamp_floor((t.y1 + lattice.half_h) * n - 0.5, wr0 - 1, wr1) + 2);
        const Edge e0 = t.e[0], e1 = t.e[1], e2 = t.e[2];
        for (int r = r_lo; r < r_hi; r++) {
            const float y = lattice.ys[r];
            const float k0 = e0.b * y + e0.c, k1 = e1.b * y + e1.c, k2 = e2.b * y + e2.c;
            const float kw = t.wb * y + t.wc;
            const size_t row = size_t(r - buf.r0) * stride;
            float *bw = buf.w.data() + row, *bs = buf.shade.data() + row;
            uint8_t *bi = buf.id.data() + row;
            for (int c = c_lo; c < c_hi; c++) {
                const float x = lattice.xs[c];
                const int k = c - buf.c0;
                const float d0 = e0.a * x + k0, d1 = e1.a * x + k1, d2 = e2.a * x + k2;
                const bool inside = (d0 > 0.f || (d0 == 0.f && e0.tie)) && (d1 > 0.f || (d1 == 0.f && e1.tie)) &&
                                    (d2 > 0.f || (d2 == 0.f && e2.tie));
                const float w = t.wa * x + kw;
                if (inside && w > bw[k]) {
                    bw[k] = w;
                    bs[k] = t.shade;
                    bi[k] = id;
                }
            }
        }
    }
}

}  // namespace air
