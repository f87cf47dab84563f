// Per-pixel geometry at the pixel centres (the mask's rays): which surface each ray sees
// (the same rasterisation as the mask), then, in double precision from that surface's plane,
// the depth along the view axis of the point hit and the surface's world normal.
// For depth maps (`air generate --depth --normals`) and depth-based pose metrics.
#include "scene.hpp"
#include "shapes.hpp"
#include <cmath>
#include <cstring>

namespace {

// The outward world normal of face `face` of object o, and a point of that face.
void world_face(const air_object &o, int face, glm::dvec3 &normal, glm::dvec3 &point) {
    const air::Mesh &mesh = air::shape_mesh(o.shape);
    const double theta = double(o.rotation_deg) * 3.14159265358979323846 / 180.0;
    const double cs = std::cos(theta), sn = std::sin(theta);
    const glm::dvec3 n = mesh.faces[face].normal, v = mesh.vertices[mesh.indices[mesh.faces[face].first]];
    normal = {cs * n.x - sn * n.y, sn * n.x + cs * n.y, n.z};
    point = {cs * v.x - sn * v.y + double(o.x), sn * v.x + cs * v.y + double(o.y), v.z};
}

}  // namespace

extern "C" int32_t air_render_geometry(const air_camera *camera, const air_object *objects, int32_t count,
                                       float *depth, float *normals, uint8_t *mask) {
    if (!camera) return AIR_ERR_ARGUMENT;
    int32_t status = air::check_objects(objects, count);
    if (status != AIR_OK) return status;
    air_camera one = *camera;
    one.spp = 1;
    air::Setup setup;
    if ((status = air::make_setup(one, setup)) != AIR_OK) return status;
    const air::View &view = setup.view;
    const int width = view.width, height = view.height;
    try {
        air::Light light;
        air::make_light(nullptr, light);
        std::vector<air::PreparedObject> prepared(count);
        air::SampleBuffer buf;
        buf.reset({0, 0, width, height}, 1);
        for (int32_t k = 0; k < count; k++) {
            air::prepare_object(view, light, objects[k], prepared[k]);
            air::rasterise(prepared[k], setup.colour, k + 1, buf);
        }
        for (int j = 0; j < height; j++)
            for (int i = 0; i < width; i++) {
                const size_t p = size_t(j) * width + i;
                const uint32_t slot = buf.slot[buf.at(i, j)];
                const int id = int(slot / air::kSlotsPerId);
                // The ray through the pixel centre, of depth 1 per unit of its parameter.
                const glm::dvec3 d = view.f + view.dx() * (i + 0.5 - view.half_w) + view.dy() * (j + 0.5 - view.half_h);
                glm::dvec3 nrm(0, 0, 1), p0(0, 0, 0);  // the table plane z = 0
                if (id > 0) world_face(objects[id - 1], int(slot % air::kSlotsPerId), nrm, p0);
                const double along = glm::dot(nrm, d);
                // A ray that meets no surface (above the horizon) gets depth 0 and normal 0.
                const double t = along != 0 ? glm::dot(nrm, p0 - view.eye) / along : -1;
                const bool hit = t > 0 && std::isfinite(t);
                if (depth) depth[p] = hit ? float(t) : 0.0f;
                if (normals)
                    for (int c = 0; c < 3; c++) normals[3 * p + c] = hit ? float(nrm[c]) : 0.0f;
                if (mask) mask[p] = uint8_t(id);
            }
    } catch (const std::bad_alloc &) {
        return AIR_ERR_MEMORY;
    }
    return AIR_OK;
}
