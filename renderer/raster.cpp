#include "raster.hpp"
#include "shapes.hpp"
#include <algorithm>
#include <cmath>
#include <limits>

namespace air {

namespace {

// Rows within this many pixels of an edge's vertical extent test the edge, far more than
// rounding; rows of a polygon are taken within half this margin of its extent.
const double kRowMargin = 0.02;

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
    Edge e;
    e.a = flip ? -float(ea) : float(ea);
    e.b = flip ? -float(eb) : float(eb);
    e.c = flip ? -float(ec) : float(ec);
    // Along a horizontal edge the face below it (b > 0) owns the samples exactly on it.
    e.threshold = e.b > 0.f ? -std::numeric_limits<float>::denorm_min() : 0.f;
    e.inv_a = e.a != 0.f ? 1.f / e.a : 0.f;
    e.y0 = float(std::min(p.s.y, q.s.y) - kRowMargin);
    e.y1 = float(std::max(p.s.y, q.s.y) + kRowMargin);
    return e;
}

void add_polygon(const std::vector<Corner> &poly, const glm::dvec3 &plane, int face, PreparedObject &out) {
    // Twice the signed area; front faces (counter-clockwise seen from outside) come out
    // positive with y down. Anything else is an edge-on sliver lost to rounding.
    double area = 0.0;
    for (size_t k = 0; k < poly.size(); k++) {
        const Corner &p = poly[k], &q = poly[(k + 1) % poly.size()];
        area += q.s.x * p.s.y - p.s.x * q.s.y;
    }
    if (!(area > 0.0) || !std::isfinite(area)) return;
    ScreenPolygon g;
    g.first_edge = int(out.edges.size());
    g.wa = float(plane.x);
    g.wb = float(plane.y);
    g.wc = float(plane.z);
    g.face = face;
    g.x0 = g.y0 = INFINITY;
    g.x1 = g.y1 = -INFINITY;
    for (size_t k = 0; k < poly.size(); k++) {
        const Corner &p = poly[k], &q = poly[(k + 1) % poly.size()];
        if (p.s != q.s) out.edges.push_back(make_edge(p, q));  // a repeated corner adds no edge
        g.x0 = std::min(g.x0, p.s.x);
        g.x1 = std::max(g.x1, p.s.x);
        g.y0 = std::min(g.y0, p.s.y);
        g.y1 = std::max(g.y1, p.s.y);
    }
    g.edge_count = int(out.edges.size()) - g.first_edge;
    out.polygons.push_back(g);
}

// floor(v) clamped to [lo, hi]; NaN gives lo.
int clamp_floor(double v, int lo, int hi) {
    if (!(v > lo)) return lo;
    if (v >= hi) return hi;
    return int(std::floor(v));
}

}  // namespace

PixelBox pixel_box(const View &view, double x0, double y0, double x1, double y1) {
    if (!(x0 <= x1) || !(y0 <= y1)) return {};
    PixelBox b{clamp_floor(x0 + view.half_w, 0, view.width), clamp_floor(y0 + view.half_h, 0, view.height),
               clamp_floor(x1 + view.half_w, -1, view.width - 1) + 1, clamp_floor(y1 + view.half_h, -1, view.height - 1) + 1};
    return b.empty() ? PixelBox{} : b;
}

PixelBox unite(const PixelBox &a, const PixelBox &b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return {std::min(a.x0, b.x0), std::min(a.y0, b.y0), std::max(a.x1, b.x1), std::max(a.y1, b.y1)};
}

PixelBox intersect(const PixelBox &a, const PixelBox &b) {
    PixelBox r{std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1), std::min(a.y1, b.y1)};
    return r.empty() ? PixelBox{} : r;
}

void prepare_object(const View &view, const Light &light, const air_object &o, PreparedObject &out) {
    const Mesh &mesh = shape_mesh(o.shape);
    const double theta = double(o.rotation_deg) * 3.14159265358979323846 / 180.0;
    const double cs = std::cos(theta), sn = std::sin(theta);
    auto to_world = [&](const glm::dvec3 &v) {
        return glm::dvec3(cs * v.x - sn * v.y + double(o.x), sn * v.x + cs * v.y + double(o.y), v.z);
    };
    const long long nv = (long long)mesh.vertices.size();

    out.polygons.clear();
    out.edges.clear();
    out.face_shade.clear();
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
        out.face_shade.push_back(light.shade(normal));
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

        add_polygon(poly, view.inverse_depth_plane(normal, p0), int(&face - mesh.faces.data()), out);
    }

    // The pixels the polygons' bounding boxes touch. Samples sit at least 1/8 pixel inside
    // their pixel, far more than rounding can move an edge.
    PixelBox box;
    for (const ScreenPolygon &t : out.polygons) box = unite(box, pixel_box(view, t.x0, t.y0, t.x1, t.y1));
    out.box = box;
}

void SampleBuffer::reset(const PixelBox &box, int n, bool clear_all) {
    c0 = box.x0 * n;
    r0 = box.y0 * n;
    c1 = box.x1 * n;
    r1 = box.y1 * n;
    size_t size = box.empty() ? 0 : size_t(c1 - c0) * size_t(r1 - r0);
    if (w.size() < size) {
        w.resize(size);
        slot.resize(size);
    }
    if (clear_all) clear(box, n);
}

void SampleBuffer::clear(const PixelBox &box, int n) {
    if (box.x0 * n <= c0 && box.x1 * n >= c1 && box.y0 * n <= r0 && box.y1 * n >= r1) {  // all of it: one fill
        std::fill_n(w.begin(), size_t(c1 - c0) * size_t(r1 - r0), 0.f);
        std::fill_n(slot.begin(), size_t(c1 - c0) * size_t(r1 - r0), uint32_t(0));
        return;
    }
    const int cc0 = std::max(box.x0 * n, c0), cc1 = std::min(box.x1 * n, c1);
    const int rr0 = std::max(box.y0 * n, r0), rr1 = std::min(box.y1 * n, r1);
    if (cc0 >= cc1) return;
    for (int r = rr0; r < rr1; r++) {
        std::fill_n(&w[at(cc0, r)], cc1 - cc0, 0.f);
        std::fill_n(&slot[at(cc0, r)], cc1 - cc0, uint32_t(0));
    }
}

namespace {

// The first lattice column c with (c + 0.5) / n - W/2 >= x, clamped to [lo, hi]. Both faces
// of an edge compute it from the same x, so they split the row between them exactly.
inline int first_column(float x, const Lattice &l, int lo, int hi) {
    const float v = (x + float(l.half_w)) * float(l.n) - 0.5f;
    if (!(v > float(lo))) return v <= float(lo) ? lo : hi;  // NaN: empty for either side
    if (v >= float(hi)) return hi;
    const int t = int(v);  // v > lo >= 0, so truncation is floor
    return t + (float(t) < v);
}

// Narrows the row's column range [lo, hi) to the inner side of edge e; k = b Y + c.
inline void clip_span(const Edge &e, float k, const Lattice &l, int &lo, int &hi) {
    if (e.a == 0.f) {
        if (!(k > e.threshold)) hi = lo;
        return;
    }
    const float x = -k * e.inv_a;
    if (e.a > 0.f)
        lo = std::max(lo, first_column(x, l, lo, hi));  // inside where X >= x
    else
        hi = std::min(hi, first_column(x, l, lo, hi));  // inside where X < x
}

}  // namespace

void rasterise(const PreparedObject &object, const Lattice &lattice, int id, SampleBuffer &buf) {
    const int n = lattice.n;
    const int wc0 = std::max(object.box.x0 * n, buf.c0), wc1 = std::min(object.box.x1 * n, buf.c1);
    const int wr0 = std::max(object.box.y0 * n, buf.r0), wr1 = std::min(object.box.y1 * n, buf.r1);
    if (wc0 >= wc1 || wr0 >= wr1) return;

    for (const ScreenPolygon &g : object.polygons) {
        const uint32_t slot = uint32_t(id * kSlotsPerId + g.face);
        const Edge *edges = &object.edges[g.first_edge];
        // Lattice columns and rows around the bounding box, with a margin of one for rounding.
        const int c_lo = std::max(wc0, clamp_floor((g.x0 + lattice.half_w) * n - 0.5, wc0 - 1, wc1));
        const int c_hi = std::min(wc1, clamp_floor((g.x1 + lattice.half_w) * n - 0.5, wc0 - 1, wc1) + 2);
        // Rows whose Y lies in [y0, y1] up to half the margin: every such row meets an edge.
        const int r_lo = std::max(wr0, clamp_floor((g.y0 - kRowMargin / 2 + lattice.half_h) * n - 0.5, wr0 - 2, wr1) + 1);
        const int r_hi = std::min(wr1, clamp_floor((g.y1 + kRowMargin / 2 + lattice.half_h) * n - 0.5, wr0 - 2, wr1) + 1);
        for (int r = r_lo; r < r_hi; r++) {
            const float y = lattice.ys[r];
            int lo = c_lo, hi = c_hi;
            // Only edges spanning this row can bound it: the polygon is convex.
            for (int k = 0; k < g.edge_count && lo < hi; k++) {
                const Edge &e = edges[k];
                if (y >= e.y0 && y <= e.y1) clip_span(e, e.b * y + e.c, lattice, lo, hi);
            }
            const float kw = g.wb * y + g.wc;
            float *__restrict bw = buf.w.data() + size_t(r - buf.r0) * buf.stride();
            uint32_t *__restrict bs = buf.slot.data() + size_t(r - buf.r0) * buf.stride();
            const float *__restrict xs = lattice.xs.data();
#pragma clang loop vectorize(assume_safety)  // depths, slots and positions are separate arrays
            for (int c = lo; c < hi; c++) {
                const float w = g.wa * xs[c] + kw;
                const int k = c - buf.c0;
                const bool nearer = w > bw[k];
                bw[k] = nearer ? w : bw[k];
                bs[k] = nearer ? slot : bs[k];
            }
        }
    }
}

}  // namespace air
