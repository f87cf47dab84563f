#include "shadow.hpp"
#include <algorithm>
#include <cmath>

namespace air {

namespace {

// As in raster.cpp: edges are tested in rows within this margin of their vertical extent,
// polygons take rows within half of it. Far more than rounding, and harmless: every edge of
// a convex polygon bounds it in every row.
const double kRowMargin = 0.02;

// Polygons carry at most a face's 24 corners plus one per clipping plane.
const int kMaxCorners = 128;

// A corner of a polygon on a receiving plane; `label` names the shadow-volume facet that the
// edge from this corner to the next lies on, or -1 for an edge that bounds nothing the
// samples need (the receiving face's own border, which the slot test already applies; the
// start rectangle on the table; the near plane).
struct Corner {
    glm::dvec3 p;
    int label;
};

// Sutherland-Hodgman: the part of poly inside plane k (n.x <= d); new edges along k get
// `label`. Returns the new corner count.
int clip(const Corner *in, int count, const Plane &k, int label, Corner *out) {
    int m = 0;
    for (int i = 0; i < count; i++) {
        if (m + 2 > kMaxCorners) return 0;  // only a polygon far from convex could get here
        const Corner &p = in[i], &q = in[(i + 1) % count];
        const double gp = glm::dot(k.n, p.p) - k.d, gq = glm::dot(k.n, q.p) - k.d;
        const bool pin = gp <= 0.0, qin = gq <= 0.0;
        if (pin) out[m++] = p;
        if (pin != qin) {
            const glm::dvec3 x = p.p + (gp / (gp - gq)) * (q.p - p.p);
            // Entering: the rest of p's edge follows; leaving: the new edge lies on k.
            out[m++] = {x, pin ? label : p.label};
        }
    }
    return m;
}

// Clips poly (count corners, in buffer a, scratch b) by every facet of volume; the result is
// in a. Returns the corner count (< 3: nothing left).
int clip_volume(Corner *a, Corner *b, int count, const std::vector<Plane> &volume) {
    for (size_t l = 0; l < volume.size() && count >= 3; l++) {
        count = clip(a, count, volume[l], int(l), b);
        std::copy(b, b + count, a);
    }
    return count;
}

// The clipped polygon poly on the receiving plane (n.x = d, n towards the eye's side), as a
// screen polygon for samples of `slot`. The sample at (X, Y) sees the plane at
// p = eye + s (f + X dx + Y dy), s = H / (n.dir), H = d - n.eye, s > 0; facet m.x <= e holds
// at p iff k.dir >= 0 with k = -((m.eye - e) / H n + m), linear in (X, Y).
void emit(const View &view, Corner *poly, Corner *scratch, int count, const Plane &receiver,
          const std::vector<Plane> &volume, uint32_t slot, int ci, int ri, Shadows &out) {
    const Plane near{-view.f, -(glm::dot(view.f, view.eye) + kNear)};
    count = clip(poly, count, near, -1, scratch);
    if (count < 3) return;
    std::copy(scratch, scratch + count, poly);
    const double H = receiver.d - glm::dot(receiver.n, view.eye);
    if (!(H < 0.0)) return;  // the eye is not on the plane's front side: no sample sees it

    glm::dvec2 s[kMaxCorners];
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int i = 0; i < count; i++) {
        s[i] = view.project(poly[i].p);
        x0 = std::min(x0, s[i].x);
        x1 = std::max(x1, s[i].x);
        y0 = std::min(y0, s[i].y);
        y1 = std::max(y1, s[i].y);
    }
    ShadowPolygon g;
    g.box = pixel_box(view, x0, y0, x1, y1);
    if (g.box.empty()) return;
    g.slot = slot;
    g.caster = ci;
    g.receiver = ri;
    g.first_edge = int(out.edges.size());
    g.y0 = y0;
    g.y1 = y1;
    const glm::dvec3 dx = view.dx(), dy = view.dy();
    auto add_edge = [&](const glm::dvec3 &k, double ey0, double ey1) {
        ShadowEdge e;
        e.a = glm::dot(k, dx);
        e.b = glm::dot(k, dy);
        e.c = glm::dot(k, view.f);
        e.inv_a = e.a != 0.0 ? 1.0 / e.a : 0.0;
        e.y0 = ey0;
        e.y1 = ey1;
        out.edges.push_back(e);
    };
    for (int i = 0; i < count; i++) {
        if (poly[i].label < 0) continue;
        const Plane &m = volume[poly[i].label];
        const double G = glm::dot(m.n, view.eye) - m.d;
        const glm::dvec3 k = -((G / H) * receiver.n + m.n);
        const glm::dvec2 &p = s[i], &q = s[(i + 1) % count];
        add_edge(k, std::min(p.y, q.y) - kRowMargin, std::max(p.y, q.y) + kRowMargin);
    }
    if (ri < 0) {
        // On the table the facet tests hold only for rays that go down (s > 0): where the
        // polygon's box reaches rays that do not, test that too (-dir.z > 0).
        const glm::dvec3 k(0.0, 0.0, -1.0);
        bool all_down = true;
        for (double x : {x0, x1})
            for (double y : {y0, y1}) all_down = all_down && glm::dot(k, view.f + x * dx + y * dy) > 0.0;
        if (!all_down) add_edge(k, -INFINITY, INFINITY);
    }
    g.edge_count = int(out.edges.size()) - g.first_edge;
    out.polygons.push_back(g);
}

}  // namespace

void prepare_shadow(const View &view, const Light &light, const air_object &o, ShadowObject &out) {
    const Mesh &mesh = shape_mesh(o.shape);
    out.mesh = &mesh;
    // The same object-to-world map as prepare_object.
    const double theta = double(o.rotation_deg) * 3.14159265358979323846 / 180.0;
    const double cs = std::cos(theta), sn = std::sin(theta);
    const size_t nv = mesh.vertices.size(), nf = mesh.faces.size();
    out.vertices.resize(nv);
    for (size_t i = 0; i < nv; i++) {
        const glm::dvec3 &v = mesh.vertices[i];
        out.vertices[i] = {cs * v.x - sn * v.y + double(o.x), sn * v.x + cs * v.y + double(o.y), v.z};
    }
    out.faces.resize(nf);
    out.lit.resize(nf);
    out.volume.clear();
    double nl[32];  // n.L per face; the largest mesh has 26 faces
    for (size_t f = 0; f < nf; f++) {
        const Face &face = mesh.faces[f];
        const glm::dvec3 n(cs * face.normal.x - sn * face.normal.y, sn * face.normal.x + cs * face.normal.y,
                           face.normal.z);
        out.faces[f] = {n, glm::dot(n, out.vertices[mesh.indices[face.first]])};
        nl[f] = glm::dot(n, light.L);
        out.lit[f] = nl[f] > 0.0;
        // Faces towards the light (or along it) bound the volume where rays leave the solid.
        if (nl[f] >= 0.0) out.volume.push_back(out.faces[f]);
    }
    for (const MeshEdge &e : mesh.edges) {
        const double a = nl[e.face0], b = nl[e.face1];
        if (!((a > 0.0 && b < 0.0) || (a < 0.0 && b > 0.0))) continue;
        // Edges of the base sweep below the table: above it, the lit face next to them is
        // the tighter bound.
        if (mesh.faces[e.face0].normal.z < -0.5 || mesh.faces[e.face1].normal.z < -0.5) continue;
        // The positive combination of the two outward normals that is orthogonal to L:
        // the plane through the edge containing L, outward.
        const glm::dvec3 m = std::abs(b) * out.faces[e.face0].n + std::abs(a) * out.faces[e.face1].n;
        out.volume.push_back({m, glm::dot(m, out.vertices[e.v0])});
    }

    // The volume above the table is the convex hull of the vertices and their feet (their
    // projections along -L onto the table); its screen box is their projections' box,
    // unless one lies too close to or behind the eye plane.
    out.x0 = out.y0 = out.ox0 = out.oy0 = INFINITY;
    out.x1 = out.y1 = out.ox1 = out.oy1 = -INFINITY;
    double sx0 = INFINITY, sy0 = INFINITY, sx1 = -INFINITY, sy1 = -INFINITY;
    bool in_front = true;
    for (const glm::dvec3 &v : out.vertices) {
        const glm::dvec3 foot = v - (v.z / light.L.z) * light.L;
        out.ox0 = std::min(out.ox0, v.x);
        out.ox1 = std::max(out.ox1, v.x);
        out.oy0 = std::min(out.oy0, v.y);
        out.oy1 = std::max(out.oy1, v.y);
        for (const glm::dvec3 &p : {v, foot}) {
            out.x0 = std::min(out.x0, p.x);
            out.x1 = std::max(out.x1, p.x);
            out.y0 = std::min(out.y0, p.y);
            out.y1 = std::max(out.y1, p.y);
            if (!(view.depth(p) >= kNear)) {
                in_front = false;
                continue;
            }
            const glm::dvec2 s = view.project(p);
            sx0 = std::min(sx0, s.x);
            sx1 = std::max(sx1, s.x);
            sy0 = std::min(sy0, s.y);
            sy1 = std::max(sy1, s.y);
        }
    }
    out.box = in_front ? pixel_box(view, sx0, sy0, sx1, sy1) : PixelBox{0, 0, view.width, view.height};
}

void table_shadow(const View &view, const ShadowObject &caster, int ci, Shadows &out) {
    // Start from a rectangle around the feet, a little larger so that no facet runs along
    // its border; the facets cut out the shadow, the projection of the solid along L.
    const double margin = 1e-3;
    Corner a[kMaxCorners], b[kMaxCorners];
    a[0] = {{caster.x0 - margin, caster.y0 - margin, 0.0}, -1};
    a[1] = {{caster.x1 + margin, caster.y0 - margin, 0.0}, -1};
    a[2] = {{caster.x1 + margin, caster.y1 + margin, 0.0}, -1};
    a[3] = {{caster.x0 - margin, caster.y1 + margin, 0.0}, -1};
    const int count = clip_volume(a, b, 4, caster.volume);
    if (count < 3) return;
    emit(view, a, b, count, {{0.0, 0.0, 1.0}, 0.0}, caster.volume, 0u, ci, -1, out);
}

void face_shadows(const View &view, const ShadowObject &caster, int ci, const ShadowObject &receiver,
                  const PreparedObject &receiver_faces, int ri, Shadows &out) {
    // Cheap rejections first: the volume's screen box and its world xy box.
    if (intersect(caster.box, receiver_faces.box).empty()) return;
    if (receiver.ox1 < caster.x0 || receiver.ox0 > caster.x1 || receiver.oy1 < caster.y0 || receiver.oy0 > caster.y1)
        return;
    const Mesh &mesh = *receiver.mesh;
    Corner a[kMaxCorners], b[kMaxCorners];
    for (const ScreenPolygon &g : receiver_faces.polygons) {
        if (!receiver.lit[g.face]) continue;  // faces turned from the light keep the ambient shade anyway
        const Face &face = mesh.faces[g.face];
        for (int k = 0; k < face.count; k++) a[k] = {receiver.vertices[mesh.indices[face.first + k]], -1};
        const int count = clip_volume(a, b, face.count, caster.volume);
        if (count < 3) continue;
        emit(view, a, b, count, receiver.faces[g.face], caster.volume, uint32_t((ri + 1) * kSlotsPerId + g.face), ci,
             ri, out);
    }
}

void scene_shadows(const View &view, const std::vector<ShadowObject> &casters,
                   const std::vector<PreparedObject> &objects, int count, Shadows &out) {
    out.clear();
    for (int c = 0; c < count; c++) {
        table_shadow(view, casters[c], c, out);
        for (int r = 0; r < count; r++)
            if (r != c) face_shadows(view, casters[c], c, casters[r], objects[r], r, out);
    }
}

void mark_shadow(const Shadows &shadows, const ShadowPolygon &g, const Lattice &lattice, const PixelBox &region,
                 SampleBuffer &buf) {
    const int n = lattice.n;
    const PixelBox box = intersect(g.box, region);
    if (box.empty()) return;
    const int c0 = std::max(box.x0 * n, buf.c0), c1 = std::min(box.x1 * n, buf.c1);
    const int r0 = std::max(box.y0 * n, buf.r0), r1 = std::min(box.y1 * n, buf.r1);
    const ShadowEdge *edges = &shadows.edges[g.first_edge];
    const uint32_t slot = g.slot, shadowed = g.slot + kShadowed;
    const double half_w = lattice.half_w;
    for (int r = r0; r < r1; r++) {
        const double y = lattice.ys[r];
        if (y < g.y0 - kRowMargin / 2 || y > g.y1 + kRowMargin / 2) continue;
        // Columns c with X = (c + 0.5) / n - W/2 on the inner side of every edge spanning the row.
        double lo = c0, hi = c1;
        for (int k = 0; k < g.edge_count && lo < hi; k++) {
            const ShadowEdge &e = edges[k];
            if (y < e.y0 || y > e.y1) continue;
            const double t = e.b * y + e.c;
            if (e.a == 0.0) {
                if (!(t >= 0.0)) hi = lo;
                continue;
            }
            const double v = (-t * e.inv_a + half_w) * n - 0.5;  // the edge's column position
            if (e.a > 0.0)
                lo = std::max(lo, std::ceil(v));  // inside where X >= x
            else
                hi = std::min(hi, std::floor(v) + 1.0);  // inside where X <= x
            if (v != v) hi = lo;
        }
        if (!(lo < hi)) continue;
        uint32_t *s = buf.slot.data() + buf.at(int(lo), r);
        const int count = int(hi) - int(lo);
        for (int k = 0; k < count; k++) s[k] = s[k] == slot ? shadowed : s[k];
    }
}

void mark_shadows(const Shadows &shadows, const Lattice &lattice, const PixelBox &region, SampleBuffer &buf) {
    for (const ShadowPolygon &g : shadows.polygons) mark_shadow(shadows, g, lattice, region, buf);
}

}  // namespace air
