// Cheap re-renders for finite differences. The cache keeps every object's own layer (its
// samples' inverse depth and surface slot over its box); a moved object is rasterised alone
// and only the union of its old and new boxes is re-composited from the layers. Layers are
// merged in list order with the same strict depth test a full render uses, so the pixels
// agree bit for bit.
//
// With shadows the region also takes the boxes of the moved object's old and new shadow
// volumes (what it can shade). The cache keeps the base scene's shadow polygons; a re-render
// marks the region with those that neither involve the moved object and with the moved
// object's new ones (cast on the table and the others, received from the others). Each
// polygon is a function of its caster and receiver alone and marking a sample depends only
// on its slot and position, so the marks equal a full render's.
#include "air_renderer.h"
#include "scene.hpp"
#include <new>

struct air_cache {
    air::Setup setup;
    air::Light light;
    bool ready = false;
    std::vector<air::PreparedObject> prepared;
    std::vector<air::SampleBuffer> layers;
    air::Palette palette;  // the base scene's
    std::vector<air::Albedo> base_colors;
    air::PreparedObject moved;
    air::SampleBuffer region;
    std::vector<air::PixelBox> boxes, runs;
    std::vector<air::ShadowObject> casters;  // the base scene's, with shadows on
    air::Shadows shadows;                    // the base scene's shadows of objects on objects
    air::ShadowObject moved_caster;
    air::Shadows moved_shadows;              // those of one re-render that involve the moved object
};

namespace {

void draw_layer(const air::Setup &setup, const air::PreparedObject &object, int id, air::SampleBuffer &layer) {
    layer.reset(object.box, setup.view.n);
    air::rasterise(object, setup.colour, id, layer);
}

}  // namespace

extern "C" {

air_cache *air_cache_create(void) { return new (std::nothrow) air_cache(); }

void air_cache_destroy(air_cache *cache) { delete cache; }

int32_t air_cache_set_scene(air_cache *cache, const air_camera *camera, const air_light *light,
                            const air_object *objects, int32_t count, float *rgb) {
    if (!cache || !camera) return AIR_ERR_ARGUMENT;
    cache->ready = false;
    int32_t status = air::check_objects(objects, count);
    if (status == AIR_OK) status = air::make_setup(*camera, cache->setup);
    if (status == AIR_OK) status = air::make_light(light, cache->light);
    if (status != AIR_OK) return status;
    try {
        const int n = cache->setup.view.n;
        cache->prepared.resize(count);
        cache->layers.resize(count);
        cache->base_colors.resize(count);
        cache->palette.reset(count, cache->light);
        for (int32_t k = 0; k < count; k++) {
            air::prepare_object(cache->setup.view, cache->light, objects[k], cache->prepared[k]);
            draw_layer(cache->setup, cache->prepared[k], k + 1, cache->layers[k]);
            cache->palette.set(k + 1, cache->prepared[k], objects[k].color);
            cache->base_colors[k] = {objects[k].color[0], objects[k].color[1], objects[k].color[2]};
        }
        const bool shadows = cache->light.shadows;
        if (shadows) {
            cache->casters.resize(count);
            for (int32_t k = 0; k < count; k++)
                air::prepare_shadow(cache->setup.view, cache->light, objects[k], cache->prepared[k], k, cache->casters[k]);
            air::object_shadows(cache->setup.view, cache->casters, cache->prepared, count, cache->shadows);
        }
        if (rgb) {
            air::changed_boxes(cache->prepared, shadows ? &cache->casters : nullptr, count, cache->boxes);
            air::covered_runs(cache->boxes, cache->runs);
            air::PixelBox all;
            for (const air::PixelBox &b : cache->boxes) all = air::unite(all, b);
            cache->region.reset(all, n);
            for (int32_t k = 0; k < count; k++) air::merge(cache->layers[k], cache->region);
            if (shadows) {
                for (int32_t k = 0; k < count; k++)
                    air::mark_shadows(cache->casters[k].table, cache->setup.colour, all, cache->region);
                air::mark_shadows(cache->shadows, cache->setup.colour, all, cache->region);
            }
            air::fill_table(n, cache->setup.view.width, cache->setup.view.height, cache->light, rgb);
            for (const air::PixelBox &run : cache->runs)
                air::resolve_rgb(cache->region, n, run, cache->palette, cache->setup.view.width, rgb);
        }
    } catch (const std::bad_alloc &) {
        return AIR_ERR_MEMORY;
    }
    cache->ready = true;
    return AIR_OK;
}

int32_t air_cache_render_moved(air_cache *cache, int32_t index, const air_object *moved, float *rgb,
                               int32_t region[4]) {
    if (!cache || !moved || !rgb || !cache->ready) return AIR_ERR_ARGUMENT;
    if (index < 0 || size_t(index) >= cache->layers.size()) return AIR_ERR_INDEX;
    int32_t status = air::check_objects(moved, 1);
    if (status != AIR_OK) return status;
    try {
        const air::Setup &setup = cache->setup;
        const int n = setup.view.n;
        const int32_t count = int32_t(cache->layers.size());
        const bool shadows = cache->light.shadows;
        air::prepare_object(setup.view, cache->light, *moved, cache->moved);
        air::PixelBox box = air::unite(cache->prepared[index].box, cache->moved.box);
        if (shadows) {
            air::prepare_shadow(setup.view, cache->light, *moved, cache->moved, index, cache->moved_caster);
            box = air::unite(box, air::unite(cache->casters[index].box, cache->moved_caster.box));
        }
        if (!box.empty()) {
            // In list order, as a full render draws them: the moved object is drawn straight
            // into the region in its turn, the others come from their layers.
            cache->region.reset(box, n);
            for (int32_t k = 0; k < count; k++) {
                if (k == index)
                    air::rasterise(cache->moved, setup.colour, k + 1, cache->region);
                else
                    air::merge(cache->layers[k], cache->region);
            }
            if (shadows) {
                for (int32_t k = 0; k < count; k++) {
                    const air::Shadows &table = k == index ? cache->moved_caster.table : cache->casters[k].table;
                    air::mark_shadows(table, setup.colour, box, cache->region);
                }
                for (const air::ShadowPolygon &g : cache->shadows.polygons)
                    if (g.caster != index && g.receiver != index)
                        air::mark_shadow(cache->shadows, g, setup.colour, box, cache->region);
                air::Shadows &fresh = cache->moved_shadows;
                fresh.clear();
                for (int32_t k = 0; k < count; k++) {
                    if (k == index) continue;
                    air::face_shadows(setup.view, cache->moved_caster, index, cache->casters[k], cache->prepared[k], k, fresh);
                    air::face_shadows(setup.view, cache->casters[k], k, cache->moved_caster, cache->moved, index, fresh);
                }
                air::mark_shadows(fresh, setup.colour, box, cache->region);
            }
            // The moved object's colours for this render only.
            cache->palette.set(index + 1, cache->moved, moved->color);
            air::resolve_rgb(cache->region, n, box, cache->palette, setup.view.width, rgb);
            cache->palette.set(index + 1, cache->prepared[index], cache->base_colors[index].data());
        }
        if (region) {
            region[0] = box.x0;
            region[1] = box.y0;
            region[2] = box.x1;
            region[3] = box.y1;
        }
    } catch (const std::bad_alloc &) {
        return AIR_ERR_MEMORY;
    }
    return AIR_OK;
}

}  // extern "C"
