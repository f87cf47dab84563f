// The spec's pinhole camera: basis, projection, and the sample lattice.
//
// Screen coordinates here are pixel coordinates relative to the image centre,
// X = px - W/2, Y = py - H/2 (y down), so that edge functions stay well conditioned
// even when a vertex projects far outside the image.
#pragma once
#include "air_renderer.h"
#include <glm/glm.hpp>
#include <vector>

namespace air {

// Geometry closer to the eye plane than this is cut away, so that nothing behind the
// eye wraps around through the projection.
const double kNear = 1e-4;

struct View {
    glm::dvec3 eye, f, r, u;  // f forward, r right, u up (SCENE-SPEC "Camera")
    double t, aspect;         // tan(fov_y / 2), W / H
    int width, height;
    int n;                    // samples per pixel = n * n
    double half_w, half_h;

    double depth(const glm::dvec3 &p) const { return glm::dot(p - eye, f); }

    // The ray through screen point (X, Y) runs along f + X dx() + Y dy(): a direction of
    // depth 1, linear in the screen coordinates.
    glm::dvec3 dx() const { return r * (t * aspect / half_w); }
    glm::dvec3 dy() const { return u * (-t / half_h); }

    // The spec's projection, minus (W/2, H/2). Only for points with depth > 0.
    glm::dvec2 project(const glm::dvec3 &p) const {
        glm::dvec3 d = p - eye;
        double z = glm::dot(d, f);
        return {glm::dot(d, r) / (z * t * aspect) * half_w, -glm::dot(d, u) / (z * t) * half_h};
    }

    // Coefficients (a, b, c) with 1/depth = a X + b Y + c on the plane through p0 with
    // normal nrm: along the ray through (X, Y) the depth is linear in the ray
    // parameter, so its inverse is affine in screen space and exact for planar faces.
    glm::dvec3 inverse_depth_plane(const glm::dvec3 &nrm, const glm::dvec3 &p0) const {
        double h = glm::dot(nrm, p0 - eye);
        return {t * aspect * glm::dot(nrm, r) / (half_w * h), -t * glm::dot(nrm, u) / (half_h * h),
                glm::dot(nrm, f) / h};
    }
};

// Validates the camera (returns an AIR_ERR_* code) and fills view.
int32_t make_view(const air_camera &camera, View &view);

// Sample positions of an n x n grid per pixel at offsets (k + 0.5) / n, as screen
// coordinates: column c = i n + k has X = xs[c], row r = j n + k has Y = ys[r].
// n = 1 is the lattice of pixel centres (the mask's rays).
struct Lattice {
    int n, cols, rows;
    double half_w, half_h;
    std::vector<float> xs, ys;
};

Lattice make_lattice(const View &view, int n);

}  // namespace air
