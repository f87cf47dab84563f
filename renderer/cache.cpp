// Cheap re-renders for finite differences. The cache keeps every object's own layer (its
// samples' inverse depth and shade over its box); a moved object is rasterised alone and
// only the union of its old and new boxes is re-composited from the layers. Compositing
// uses the same merge-in-list-order rule as a full render, so the pixels agree bit for bit.
#include "air_renderer.h"
#include "scene.hpp"
#include <new>

struct air_cache {
    air::Setup setup;
    bool ready = false;
    std::vector<air::PreparedObject> prepared;
    std::vector<air::SampleBuffer> layers;
    std::vector<air::Albedo> albedo;  // [0] the table, [k + 1] object k
    air::PreparedObject moved;
    air::SampleBuffer moved_layer, region;
};

namespace {

void draw_layer(const air::Setup &setup, const air::PreparedObject &object, air::SampleBuffer &layer) {
    layer.reset(object.box, setup.view.n, air::table_shade());
    air::rasterise(object, setup.colour, 1, layer);
}

}  // namespace

extern "C" {

air_cache *air_cache_create(void) { return new (std::nothrow) air_cache(); }

void air_cache_destroy(air_cache *cache) { delete cache; }

int32_t air_cache_set_scene(air_cache *cache, const air_camera *camera, const air_object *objects, int32_t count,
                            float *rgb) {
    if (!cache || !camera) return AIR_ERR_ARGUMENT;
    cache->ready = false;
    int32_t status = air::check_objects(objects, count);
    if (status == AIR_OK) status = air::make_setup(*camera, cache->setup);
    if (status != AIR_OK) return status;
    try {
        const int n = cache->setup.view.n;
        cache->prepared.resize(count);
        cache->layers.resize(count);
        cache->albedo.assign(1, air::table_albedo());
        air::PixelBox all;
        for (int32_t k = 0; k < count; k++) {
            air::prepare_object(cache->setup.view, objects[k], cache->prepared[k]);
            draw_layer(cache->setup, cache->prepared[k], cache->layers[k]);
            cache->albedo.push_back({objects[k].color[0], objects[k].color[1], objects[k].color[2]});
            all = air::unite(all, cache->prepared[k].box);
        }
        if (rgb) {
            cache->region.reset(all, n, air::table_shade());
            for (int32_t k = 0; k < count; k++) air::merge(cache->layers[k], uint8_t(k + 1), cache->region);
            air::fill_table(n, cache->setup.view.width, cache->setup.view.height, rgb);
            air::resolve_rgb(cache->region, n, all, cache->albedo.data(), cache->setup.view.width, rgb);
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
        air::prepare_object(setup.view, *moved, cache->moved);
        draw_layer(setup, cache->moved, cache->moved_layer);
        const air::PixelBox box = air::unite(cache->prepared[index].box, cache->moved.box);
        if (!box.empty()) {
            cache->region.reset(box, n, air::table_shade());
            for (size_t k = 0; k < cache->layers.size(); k++) {
                const air::SampleBuffer &layer = int32_t(k) == index ? cache->moved_layer : cache->layers[k];
                air::merge(layer, uint8_t(k + 1), cache->region);
            }
            // The moved object's colour for this render only.
            const air::Albedo base = cache->albedo[index + 1];
            cache->albedo[index + 1] = {moved->color[0], moved->color[1], moved->color[2]};
            air::resolve_rgb(cache->region, n, box, cache->albedo.data(), setup.view.width, rgb);
            cache->albedo[index + 1] = base;
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
