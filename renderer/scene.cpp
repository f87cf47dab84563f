#include "scene.hpp"
#include <cmath>
#include <cstring>

namespace air {

int32_t check_objects(const air_object *objects, int32_t count) {
    if (count < 0 || count > 255 || (count > 0 && !objects)) return AIR_ERR_ARGUMENT;
    for (int32_t k = 0; k < count; k++) {
        const air_object &o = objects[k];
        if (o.shape < 0 || o.shape >= AIR_SHAPE_COUNT) return AIR_ERR_SHAPE;
        const float values[6] = {o.color[0], o.color[1], o.color[2], o.x, o.y, o.rotation_deg};
        for (float v : values)
            if (!std::isfinite(v)) return AIR_ERR_ARGUMENT;
    }
    return AIR_OK;
}

int32_t make_setup(const air_camera &camera, Setup &setup) {
    int32_t status = make_view(camera, setup.view);
    if (status != AIR_OK) return status;
    setup.colour = make_lattice(setup.view, setup.view.n);
    setup.centres = setup.view.n % 2 == 1 ? Lattice{} : make_lattice(setup.view, 1);
    return AIR_OK;
}

void render_scene(const Setup &setup, const air_object *objects, int32_t count, float *rgb, uint8_t *mask,
                  float *shade, Scratch &scratch) {
    const View &view = setup.view;
    const int n = view.n;
    const float table = table_shade();

    scratch.objects.resize(count);
    scratch.albedo.resize(count + 1);
    scratch.albedo[0] = table_albedo();
    PixelBox all;
    for (int32_t k = 0; k < count; k++) {
        prepare_object(view, objects[k], scratch.objects[k]);
        scratch.albedo[k + 1] = {objects[k].color[0], objects[k].color[1], objects[k].color[2]};
        all = unite(all, scratch.objects[k].box);
    }

    const bool centres_in_colour = n % 2 == 1;
    if (rgb || shade || (mask && centres_in_colour)) {
        scratch.samples.reset(all, n, table);
        for (int32_t k = 0; k < count; k++) rasterise(scratch.objects[k], setup.colour, uint8_t(k + 1), scratch.samples);
    }
    if (rgb) {
        fill_table(n, view.width, view.height, rgb);
        resolve_rgb(scratch.samples, n, all, scratch.albedo.data(), view.width, rgb);
    }
    if (shade) {
        std::memset(shade, 0, sizeof(float) * size_t(count) * view.width * view.height);
        resolve_shading(scratch.samples, n, all, view.width, view.height, shade);
    }
    if (mask) {
        std::memset(mask, 0, size_t(view.width) * view.height);
        if (centres_in_colour) {
            resolve_mask(scratch.samples, n, all, view.width, mask);
        } else {
            scratch.centres.reset(all, 1, table);
            for (int32_t k = 0; k < count; k++)
                rasterise(scratch.objects[k], setup.centres, uint8_t(k + 1), scratch.centres);
            resolve_mask(scratch.centres, 1, all, view.width, mask);
        }
    }
}

}  // namespace air
