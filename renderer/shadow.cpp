#include "shadow.hpp"
#include <algorithm>
#include <cmath>

namespace air {

namespace {

// As in raster.cpp: edges are tested in rows within this margin of their vertical extent,
// polygons take rows within half of it. Far more than rounding, and harmless: every edge of
// a convex polygon bounds it in every row.
const double kRowMargin = 0.02;

// Polygons carry at most a face's 24 corners plus one per clipping plane: under 80.
const int kMaxCorners = 128;

// A corner of a polygon on a receiving face; `label` names the shadow-volume facet that the
// edge from this corner to the next lies on, or -1 for an edge that bounds nothing the
// samples need (the face's own border, which the slot test already applies; the near plane).
struct Corner {
    glm::dvec3 p;
    int label;
};

// Sutherland-Hodgman: the part of in[0 ..< count] inside plane k (n.x <= d), written to
// out; new edges along k get `label`. Returns the new corner count.
int clip(const Corner *in, int count, const Plane &k, int label, Corner *out) {
    double g[kMaxCorners];
    bool cut = false;
    for (int i = 0; i < count; i++) {
        g[i] = glm::dot(k.n, in[i].p) - k.d;
        cut = cut || g[i] > 0.0;
    }
    if (!cut) {  // the usual case: the plane does not touch the polygon
        std::copy(in, in + count, out);
        return count;
    }
    int m = 0;
    for (int i = 0; i < count; i++) {
        if (m + 2 > kMaxCorners) return 0;  // only a polygon far from convex could get here
        const int j = i + 1 < count ? i + 1 : 0;
        const Corner &p = in[i], &q = in[j];
        const bool pin = g[i] <= 0.0, qin = g[j] <= 0.0;
        if (pin) out[m++] = p;
        if (pin != qin) {
            const glm::dvec3 x = p.p + (g[i] / (g[i] - g[j])) * (q.p - p.p);
            // Entering: the rest of p's edge follows; leaving: the new edge lies on k.
            out[m++] = {x, pin ? label : p.label};
        }
    }
    return m;
}

// Clips the polygon in a (count corners; b is scratch) by every facet of volume, labelled
// by their indices. Returns the buffer holding the result and sets count (< 3: nothing left).
Corner *clip_volume(Corner *a, Corner *b, int &count, const std::vector<Plane> &volume) {
    for (size_t l = 0; l < volume.size() && count >= 3; l++) {
        count = clip(a, count, volume[l], int(l), b);
        std::swap(a, b);
    }
    return a;
}

// One edge of a shadow polygon on a receiving plane: the plane m.x <= e it lies on and the
// rows (screen Y) its ends span.
struct Side {
    const Plane *plane;
    double y0, y1;
};

// Appends the convex polygon bounded by `sides` on the receiving plane (n.x = d, n towards
// the eye's side), with screen box [x0, x1] x [y0, y1], as a screen polygon for samples of
// `slot`. The sample at (X, Y) sees the plane at p = eye + s (f + X dx + Y dy) with
// s = H / (n.dir) > 0, H = d - n.eye; plane m.x <= e holds at p iff k.dir >= 0 with
// k = -((m.eye - e) / H n + m), linear in (X, Y).
void add_polygon(const View &view, const Plane &receiver, const Side *sides, int count, double x0, double y0,
                 double x1, double y1, uint32_t slot, int ci, int ri, Shadows &out) {
    const double H = receiver.d - glm::dot(receiver.n, view.eye);
    if (!(H < 0.0)) return;  // the eye is not on the plane's front side: no sample sees it
    ShadowPolygon g;
    g.box = pixel_box(view, x0, y0, x1, y1);
    if (g.box.empty()) return;
    g.slot = slot;
    g.caster = ci;
    g.receiver = ri;
    g.y0 = y0;
    g.y1 = y1;
    const glm::dvec3 dx = view.dx(), dy = view.dy();
    ShadowEdge chains[2][kMaxCorners], other[kMaxCorners];
    int counts[2] = {0, 0}, others = 0;
    auto edge = [&](const glm::dvec3 &k, double ey0, double ey1) {
        ShadowEdge e;
        e.a = glm::dot(k, dx);
        e.b = glm::dot(k, dy);
        e.c = glm::dot(k, view.f);
        e.inv_a = e.a != 0.0 ? 1.0 / e.a : 0.0;
        e.y0 = ey0;
        e.y1 = ey1;
        return e;
    };
    for (int i = 0; i < count; i++) {
        const Plane &m = *sides[i].plane;
        const double G = glm::dot(m.n, view.eye) - m.d;
        const ShadowEdge e = edge(-((G / H) * receiver.n + m.n), sides[i].y0 - kRowMargin, sides[i].y1 + kRowMargin);
        if (e.a > 0.0)
            chains[0][counts[0]++] = e;
        else if (e.a < 0.0)
            chains[1][counts[1]++] = e;
        else
            other[others++] = e;
    }
    if (ri < 0) {
        // On the table the plane tests hold only for rays that go down (s > 0): where the
        // polygon's box reaches rays that do not, test that too (-dir.z > 0) in every row.
        const glm::dvec3 k(0.0, 0.0, -1.0);
        bool all_down = true;
        for (double x : {x0, x1})
            for (double y : {y0, y1}) all_down = all_down && glm::dot(k, view.f + x * dx + y * dy) > 0.0;
        if (!all_down) other[others++] = edge(k, -INFINITY, INFINITY);
    }
    // A convex polygon's left (right) boundary runs monotonically down the screen: sorted
    // by their tops, its edges' bottoms are sorted too, so a row walks each chain forwards.
    g.first_edge = int(out.edges.size());
    for (int c = 0; c < 2; c++) {
        std::sort(chains[c], chains[c] + counts[c], [](const ShadowEdge &u, const ShadowEdge &v) { return u.y0 < v.y0; });
        out.edges.insert(out.edges.end(), chains[c], chains[c] + counts[c]);
    }
    out.edges.insert(out.edges.end(), other, other + others);
    g.left = counts[0];
    g.right = counts[1];
    g.other = others;
    out.polygons.push_back(g);
}

// The polygon poly (count corners, labelled by `planes`; scratch has room for as many) on
// the receiving plane, cut at the near plane, as a screen polygon (add_polygon).
void emit(const View &view, Corner *poly, Corner *scratch, int count, const Plane &receiver, const Plane *planes,
          uint32_t slot, int ci, int ri, Shadows &out) {
    const Plane near{-view.f, -(glm::dot(view.f, view.eye) + kNear)};
    count = clip(poly, count, near, -1, scratch);
    if (count < 3) return;
    poly = scratch;
    glm::dvec2 s[kMaxCorners];
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int i = 0; i < count; i++) {
        s[i] = view.project(poly[i].p);
        x0 = std::min(x0, s[i].x);
        x1 = std::max(x1, s[i].x);
        y0 = std::min(y0, s[i].y);
        y1 = std::max(y1, s[i].y);
    }
    Side sides[kMaxCorners];
    int n = 0;
    for (int i = 0; i < count; i++) {
        if (poly[i].label < 0) continue;
        const glm::dvec2 &p = s[i], &q = s[i + 1 < count ? i + 1 : 0];
        sides[n++] = {&planes[poly[i].label], std::min(p.y, q.y), std::max(p.y, q.y)};
    }
    add_polygon(view, receiver, sides, n, x0, y0, x1, y1, slot, ci, ri, out);
}

}  // namespace

void prepare_shadow(const View &view, const Light &light, const air_object &o, const PreparedObject &drawn, int index,
                    ShadowObject &out) {
    const Mesh &mesh = shape_mesh(o.shape);
    out.mesh = &mesh;
    // The same object-to-world map as prepare_object.
    const double theta = double(o.rotation_deg) * 3.14159265358979323846 / 180.0;
    const double cs = std::cos(theta), sn = std::sin(theta);
    const int nv = int(mesh.vertices.size()), nf = int(mesh.faces.size());
    out.vertices.resize(nv);
    for (int i = 0; i < nv; i++) {
        const glm::dvec3 &v = mesh.vertices[i];
        out.vertices[i] = {cs * v.x - sn * v.y + double(o.x), sn * v.x + cs * v.y + double(o.y), v.z};
    }
    out.faces.resize(nf);
    out.lit.resize(nf);
    out.volume.clear();
    double nl[32];  // n.L per face; the largest mesh has 26 faces
    for (int f = 0; f < nf; f++) {
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

    // The feet of the vertices (projected along -L onto the table) and the boxes.
    const glm::dvec3 slope = light.L / light.L.z;
    glm::dvec3 feet[64];  // the largest mesh has 48 vertices
    out.x0 = out.y0 = out.ox0 = out.oy0 = INFINITY;
    out.x1 = out.y1 = out.ox1 = out.oy1 = -INFINITY;
    bool in_front = true;
    for (int i = 0; i < nv; i++) {
        const glm::dvec3 &v = out.vertices[i];
        const glm::dvec3 foot = v.z == 0.0 ? v : v - v.z * slope;
        feet[i] = foot;
        out.ox0 = std::min(out.ox0, v.x);
        out.ox1 = std::max(out.ox1, v.x);
        out.oy0 = std::min(out.oy0, v.y);
        out.oy1 = std::max(out.oy1, v.y);
        out.x0 = std::min(out.x0, foot.x);
        out.x1 = std::max(out.x1, foot.x);
        out.y0 = std::min(out.y0, foot.y);
        out.y1 = std::max(out.y1, foot.y);
        in_front = in_front && view.depth(v) >= kNear && view.depth(foot) >= kNear;
    }
    out.x0 = std::min(out.x0, out.ox0);
    out.x1 = std::max(out.x1, out.ox1);
    out.y0 = std::min(out.y0, out.oy0);
    out.y1 = std::max(out.y1, out.oy1);

    // The shadow on the table is the projection along L of the faces turned to the light
    // (a disk on a convex solid), so its border is the projection of theirs: the edges
    // between a lit face and one that is not. Each lies in the plane through the edge that
    // contains L (a face along L is that plane itself), the same combination of normals as
    // above; the feet give only the rows each edge spans.
    Plane planes[kMaxCorners];
    Side sides[kMaxCorners];
    int count = 0;
    double sx0 = INFINITY, sy0 = INFINITY, sx1 = -INFINITY, sy1 = -INFINITY;
    glm::dvec2 s[64];
    bool projected[64] = {};
    auto screen = [&](int v) -> const glm::dvec2 & {
        if (!projected[v]) {
            s[v] = view.project(feet[v]);
            projected[v] = true;
            sx0 = std::min(sx0, s[v].x);
            sx1 = std::max(sx1, s[v].x);
            sy0 = std::min(sy0, s[v].y);
            sy1 = std::max(sy1, s[v].y);
        }
        return s[v];
    };
    for (const MeshEdge &e : mesh.edges) {
        const double a = nl[e.face0], b = nl[e.face1];
        if ((a > 0.0) == (b > 0.0)) continue;
        const glm::dvec3 m = std::abs(b) * out.faces[e.face0].n + std::abs(a) * out.faces[e.face1].n;
        planes[count] = {m, glm::dot(m, out.vertices[e.v0])};
        if (in_front) {
            const double p = screen(e.v0).y, q = screen(e.v1).y;
            sides[count] = {&planes[count], std::min(p, q), std::max(p, q)};
        } else {
            sides[count] = {&planes[count], -INFINITY, INFINITY};  // every edge bounds every row
        }
        count++;
    }
    out.table.clear();
    if (!in_front) {
        // Part of the volume lies behind the eye: its screen box is unbounded.
        add_polygon(view, {{0.0, 0.0, 1.0}, 0.0}, sides, count, -view.half_w, -view.half_h, view.half_w, view.half_h,
                    0u, index, -1, out.table);
        out.box = {0, 0, view.width, view.height};
        return;
    }
    add_polygon(view, {{0.0, 0.0, 1.0}, 0.0}, sides, count, sx0, sy0, sx1, sy1, 0u, index, -1, out.table);
    // The volume above the table is the hull of the solid and its shadow on the table, so
    // its screen box is the union of theirs.
    for (const ScreenPolygon &t : drawn.polygons) {
        sx0 = std::min(sx0, t.x0);
        sy0 = std::min(sy0, t.y0);
        sx1 = std::max(sx1, t.x1);
        sy1 = std::max(sy1, t.y1);
    }
    out.box = pixel_box(view, sx0, sy0, sx1, sy1);
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
        int count = face.count;
        Corner *poly = clip_volume(a, b, count, caster.volume);
        if (count < 3) continue;
        emit(view, poly, poly == a ? b : a, count, receiver.faces[g.face], caster.volume.data(),
             uint32_t((ri + 1) * kSlotsPerId + g.face), ci, ri, out);
    }
}

void object_shadows(const View &view, const std::vector<ShadowObject> &casters,
                    const std::vector<PreparedObject> &objects, int count, Shadows &out) {
    out.clear();
    for (int c = 0; c < count; c++)
        for (int r = 0; r < count; r++)
            if (r != c) face_shadows(view, casters[c], c, casters[r], objects[r], r, out);
}

namespace {

// Narrows the columns [lo, hi) of the row at height y to the inner side of edge e: the
// samples at X = (c + 0.5) / n - W/2 with a X + (b y + c) >= 0. lo >= 0.
inline void clip_columns(const ShadowEdge &e, double y, double half_w, int n, int &lo, int &hi) {
    const double t = e.b * y + e.c;
    if (e.a == 0.0) {
        if (!(t >= 0.0)) hi = lo;
        return;
    }
    const double v = (-t * e.inv_a + half_w) * n - 0.5;  // the edge's column position
    if (v != v) {
        hi = lo;
    } else if (e.a > 0.0) {
        // Inside where c >= v: from the first such column, if that narrows the range.
        if (v > lo) {
            if (v >= hi) {
                lo = hi;
            } else {
                const int c = int(v);  // v > lo >= 0: truncation is floor
                lo = c + (double(c) < v);
            }
        }
    } else if (v < hi - 1) {
        // Inside where c <= v: up to floor(v), if that narrows the range.
        hi = v < lo ? lo : int(v) + 1;
    }
}

}  // namespace

void mark_shadow(const Shadows &shadows, const ShadowPolygon &g, const Lattice &lattice, const PixelBox &region,
                 SampleBuffer &buf) {
    const int n = lattice.n;
    const PixelBox box = intersect(g.box, region);
    if (box.empty()) return;
    const int c0 = std::max(box.x0 * n, buf.c0), c1 = std::min(box.x1 * n, buf.c1);
    const int r0 = std::max(box.y0 * n, buf.r0), r1 = std::min(box.y1 * n, buf.r1);
    if (c0 >= c1) return;
    const ShadowEdge *left = &shadows.edges[g.first_edge], *right = left + g.left, *other = right + g.right;
    const uint32_t slot = g.slot;
    const double half_w = lattice.half_w;
    int li = 0, ri = 0;
    for (int r = r0; r < r1; r++) {
        const double y = lattice.ys[r];
        if (y < g.y0 - kRowMargin / 2 || y > g.y1 + kRowMargin / 2) continue;
        int lo = c0, hi = c1;
        // Each chain: skip the edges above the row; test those that reach it.
        while (li < g.left && left[li].y1 < y) li++;
        for (int k = li; k < g.left && left[k].y0 <= y; k++)
            if (left[k].y1 >= y) clip_columns(left[k], y, half_w, n, lo, hi);
        while (ri < g.right && right[ri].y1 < y) ri++;
        for (int k = ri; k < g.right && right[k].y0 <= y; k++)
            if (right[k].y1 >= y) clip_columns(right[k], y, half_w, n, lo, hi);
        for (int k = 0; k < g.other; k++)
            if (other[k].y0 <= y && y <= other[k].y1) clip_columns(other[k], y, half_w, n, lo, hi);
        if (lo >= hi) continue;
        uint32_t *s = buf.slot.data() + buf.at(lo, r);
        const int count = hi - lo;
#pragma clang loop interleave_count(1)  // spans are short
        for (int k = 0; k < count; k++) s[k] += s[k] == slot ? uint32_t(kShadowed) : 0u;
    }
}

void mark_shadows(const Shadows &shadows, const Lattice &lattice, const PixelBox &region, SampleBuffer &buf) {
    for (const ShadowPolygon &g : shadows.polygons) mark_shadow(shadows, g, lattice, region, buf);
}

}  // namespace air
