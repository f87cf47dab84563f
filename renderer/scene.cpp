#include "scene.hpp"
#include <algorithm>
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

void covered_runs(const std::vector<PixelBox> &boxes, std::vector<PixelBox> &runs) {
    runs.clear();
    PixelBox all;
    int nonempty = 0;
    for (const PixelBox &b : boxes) {
        all = unite(all, b);
        nonempty += !b.empty();
    }
    if (nonempty == 1) {
        for (int j = all.y0; j < all.y1; j++) runs.push_back({all.x0, j, all.x1, j + 1});
        return;
    }
    std::vector<std::pair<int, int>> spans;
    spans.reserve(boxes.size());
    for (int j = all.y0; j < all.y1; j++) {
        spans.clear();
        for (const PixelBox &b : boxes)
            if (!b.empty() && b.y0 <= j && j < b.y1) spans.push_back({b.x0, b.x1});
        std::sort(spans.begin(), spans.end());
        for (size_t s = 0; s < spans.size();) {
            int x0 = spans[s].first, x1 = spans[s].second;
            for (s++; s < spans.size() && spans[s].first <= x1; s++) x1 = std::max(x1, spans[s].second);
            runs.push_back({x0, j, x1, j + 1});
        }
    }
}

void changed_boxes(const std::vector<PreparedObject> &objects, const std::vector<ShadowObject> *casters, int count,
                   std::vector<PixelBox> &boxes) {
    boxes.clear();
    for (int k = 0; k < count; k++) boxes.push_back(objects[k].box);
    // Shadows on objects fall inside the objects' boxes.
    if (casters)
        for (int k = 0; k < count; k++)
            for (const ShadowPolygon &g : (*casters)[k].table.polygons) boxes.push_back(g.box);
}

PixelBox render_scene(const Setup &setup, const Light &light, const air_object *objects, int32_t count, float *rgb,
                      uint8_t *mask, float *shade, Scratch &scratch, int32_t shade_object, bool last_added) {
    const View &view = setup.view;
    const int n = view.n;

    if (scratch.objects.size() < size_t(count)) scratch.objects.resize(count);
    scratch.palette.reset(count, light);
    for (int32_t k = 0; k < count; k++) {
        prepare_object(view, light, objects[k], scratch.objects[k]);
        scratch.palette.set(k + 1, scratch.objects[k], objects[k].color);
    }
    // Shadows change colours only, so a render of the mask alone skips them.
    const bool shadows = light.shadows && (rgb || shade);
    if (shadows) {
        if (scratch.casters.size() < size_t(count)) scratch.casters.resize(count);
        for (int32_t k = 0; k < count; k++)
            prepare_shadow(view, light, objects[k], scratch.objects[k], k, scratch.casters[k]);
        object_shadows(view, scratch.casters, scratch.objects, count, scratch.shadows);
    }
    changed_boxes(scratch.objects, shadows ? &scratch.casters : nullptr, count, scratch.boxes);
    PixelBox written{0, 0, view.width, view.height};
    if (last_added) {
        written = scratch.objects[count - 1].box;
        if (shadows) written = unite(written, scratch.casters[count - 1].box);
        for (PixelBox &b : scratch.boxes) b = intersect(b, written);
    }
    covered_runs(scratch.boxes, scratch.runs);
    PixelBox all;
    for (const PixelBox &b : scratch.boxes) all = unite(all, b);

    const bool centres_in_colour = n % 2 == 1;
    if (rgb || shade || (mask && centres_in_colour)) {
        scratch.samples.reset(all, n);  // one clear of the whole box beats many small ones
        for (int32_t k = 0; k < count; k++) rasterise(scratch.objects[k], setup.colour, k + 1, scratch.samples);
        if (shadows) {
            for (int32_t k = 0; k < count; k++) mark_shadows(scratch.casters[k].table, setup.colour, all, scratch.samples);
            mark_shadows(scratch.shadows, setup.colour, all, scratch.samples);
        }
    }
    if (rgb) {
        fill_table(n, view.width, view.height, light, rgb, last_added ? &written : nullptr);
        for (const PixelBox &run : scratch.runs) resolve_rgb(scratch.samples, n, run, scratch.palette, view.width, rgb);
    }
    if (shade) {
        const size_t planes = shade_object >= 0 ? 1 : size_t(count);
        std::memset(shade, 0, sizeof(float) * planes * view.width * view.height);
        for (const PixelBox &run : scratch.runs)
            resolve_shading(scratch.samples, n, run, scratch.palette, view.width, view.height, shade, shade_object);
    }
    if (mask) {
        std::memset(mask, 0, size_t(view.width) * view.height);
        if (centres_in_colour) {
            for (const PixelBox &run : scratch.runs) resolve_mask(scratch.samples, n, run, view.width, mask);
        } else {
            scratch.centres.reset(all, 1);
            for (int32_t k = 0; k < count; k++) rasterise(scratch.objects[k], setup.centres, k + 1, scratch.centres);
            for (const PixelBox &run : scratch.runs) resolve_mask(scratch.centres, 1, run, view.width, mask);
        }
    }
    return written;
}

}  // namespace air
