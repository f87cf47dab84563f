#include "view.hpp"
#include <cmath>

namespace air {

namespace {
bool finite3(const float v[3]) { return std::isfinite(v[0]) && std::isfinite(v[1]) && std::isfinite(v[2]); }
glm::dvec3 vec(const float v[3]) { return {v[0], v[1], v[2]}; }
}  // namespace

int32_t make_view(const air_camera &c, View &v) {
    if (c.width < 1 || c.height < 1 || c.width > 16384 || c.height > 16384) return AIR_ERR_SIZE;
    if (c.spp != 1 && c.spp != 4 && c.spp != 9 && c.spp != 16) return AIR_ERR_SPP;
    if (!finite3(c.eye) || !finite3(c.target) || !finite3(c.up) || !std::isfinite(c.fov_y_deg))
        return AIR_ERR_CAMERA;
    if (!(c.fov_y_deg > 0.f && c.fov_y_deg < 180.f)) return AIR_ERR_CAMERA;
    if (!(c.eye[2] > 0.f)) return AIR_ERR_CAMERA;  // the spec: the eye is above the table
    glm::dvec3 eye = vec(c.eye), view_dir = vec(c.target) - eye, up = vec(c.up);
    double lf = glm::length(view_dir), lu = glm::length(up);
    if (!(lf > 0.0) || !(lu > 0.0)) return AIR_ERR_CAMERA;
    glm::dvec3 side = glm::cross(view_dir / lf, up / lu);
    if (!(glm::length(side) > 1e-9)) return AIR_ERR_CAMERA;  // up parallel to the view

    v.eye = eye;
    v.f = glm::normalize(view_dir);
    v.r = glm::normalize(glm::cross(v.f, up));
    v.u = glm::cross(v.r, v.f);
    v.t = std::tan(double(c.fov_y_deg) * 3.14159265358979323846 / 360.0);
    v.aspect = double(c.width) / double(c.height);
    v.width = c.width;
    v.height = c.height;
    v.n = c.spp == 1 ? 1 : c.spp == 4 ? 2 : c.spp == 9 ? 3 : 4;
    v.half_w = 0.5 * c.width;
    v.half_h = 0.5 * c.height;
    return AIR_OK;
}

Lattice make_lattice(const View &v, int n) {
    Lattice l;
    l.n = n;
    l.cols = v.width * n;
    l.rows = v.height * n;
    l.half_w = v.half_w;
    l.half_h = v.half_h;
    l.xs.resize(l.cols);
    l.ys.resize(l.rows);
    // (c + 0.5) / n is i + (k + 0.5) / n; for odd n the middle sample is exactly the centre.
    for (int c = 0; c < l.cols; c++) l.xs[c] = float((c + 0.5) / n - v.half_w);
    for (int r = 0; r < l.rows; r++) l.ys[r] = float((r + 0.5) / n - v.half_h);
    return l;
}

}  // namespace air
