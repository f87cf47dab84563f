// The C API of air_renderer.h: argument checks, then the work in namespace air.
#include "air_renderer.h"
#include "pool.hpp"
#include "scene.hpp"
#include <atomic>
#include <new>
#include <vector>

extern "C" {

air_camera air_default_camera(void) {
    air_camera c = {{0.f, -4.5f, 7.5f}, {0.f, 0.3f, 0.f}, {0.f, 0.f, 1.f}, 40.f, 64, 64, 4};
    return c;
}

const char *air_error_string(int32_t code) {
    switch (code) {
    case AIR_OK: return "ok";
    case AIR_ERR_ARGUMENT: return "invalid argument (NULL pointer, negative count, non-finite number, or more than 255 objects)";
    case AIR_ERR_SHAPE: return "shape code outside 0...4";
    case AIR_ERR_SIZE: return "image width or height outside 1...16384";
    case AIR_ERR_SPP: return "samples per pixel not 1, 4, 9 or 16";
    case AIR_ERR_CAMERA: return "degenerate camera (eye == target, up parallel to the view, fov_y outside (0, 180), eye not above the table, or non-finite)";
    case AIR_ERR_INDEX: return "object index out of range";
    case AIR_ERR_MEMORY: return "out of memory";
    case AIR_ERR_LIGHT: return "bad light (direction not finite or not above the table, ambient or diffuse negative or not finite, table colour not finite, shadows not 0 or 1)";
    default: return "unknown error code";
    }
}

namespace {
// Both single-scene entry points: check the camera and objects, then render what is asked for.
int32_t render_checked(const air_camera *camera, const air_light *light, const air_object *objects, int32_t count,
                       float *rgb, uint8_t *mask, float *shade, int32_t shade_object = -1, bool last_added = false,
                       int32_t region[4] = nullptr) {
    air::Setup setup;
    air::Light lit;
    int32_t status = air::make_setup(*camera, setup);
    if (status == AIR_OK) status = air::make_light(light, lit);
    if (status == AIR_OK) status = air::check_objects(objects, count);
    if (status != AIR_OK) return status;
    try {
        air::Scratch scratch;
        const air::PixelBox box = air::render_scene(setup, lit, objects, count, rgb, mask, shade, scratch, shade_object, last_added);
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
}  // namespace

int32_t air_render(const air_camera *camera, const air_light *light, const air_object *objects, int32_t count,
                   float *rgb, uint8_t *mask) {
    if (!camera) return AIR_ERR_ARGUMENT;
    return render_checked(camera, light, objects, count, rgb, mask, nullptr);
}

int32_t air_render_shading(const air_camera *camera, const air_light *light, const air_object *objects, int32_t count,
                           float *shade) {
    if (!camera || !shade) return AIR_ERR_ARGUMENT;
    return render_checked(camera, light, objects, count, nullptr, nullptr, shade);
}

int32_t air_render_with_shading(const air_camera *camera, const air_light *light, const air_object *objects,
                                int32_t count, float *rgb, float *shade) {
    if (!camera || !rgb || !shade) return AIR_ERR_ARGUMENT;
    return render_checked(camera, light, objects, count, rgb, nullptr, shade);
}

int32_t air_render_with_object_shading(const air_camera *camera, const air_light *light, const air_object *objects,
                                       int32_t count, int32_t object, float *rgb, float *shade) {
    if (!camera || !rgb || !shade || object < 0 || object >= count) return AIR_ERR_ARGUMENT;
    return render_checked(camera, light, objects, count, rgb, nullptr, shade, object);
}

int32_t air_render_added(const air_camera *camera, const air_light *light, const air_object *objects, int32_t count,
                         float *rgb, float *shade, int32_t region[4]) {
    if (!camera || !rgb || !shade || count < 1) return AIR_ERR_ARGUMENT;
    return render_checked(camera, light, objects, count, rgb, nullptr, shade, count - 1, true, region);
}

air_pool *air_pool_create(int32_t threads) {
    if (threads <= 0) threads = int32_t(std::thread::hardware_concurrency());
    if (threads <= 0) threads = 1;
    try {
        return new air_pool(threads);
    } catch (...) {  // bad_alloc or std::system_error from thread creation
        return nullptr;
    }
}

void air_pool_destroy(air_pool *pool) { delete pool; }

int32_t air_pool_threads(const air_pool *pool) { return pool ? pool->threads() : 0; }

int32_t air_render_batch(air_pool *pool, const air_camera *camera, const air_light *lights, const air_object *objects,
                         const int32_t *offsets, int32_t scenes, float *rgb, uint8_t *masks) {
    if (!camera || scenes < 0 || (scenes > 0 && !offsets)) return AIR_ERR_ARGUMENT;
    air::Setup setup;
    int32_t status = air::make_setup(*camera, setup);
    if (status != AIR_OK) return status;
    std::vector<air::Light> lit(lights ? size_t(scenes) : 1);
    if (!lights) status = air::make_light(nullptr, lit[0]);
    for (int32_t s = 0; s < scenes; s++) {
        if (lights && (status = air::make_light(&lights[s], lit[s])) != AIR_OK) return status;
        if (offsets[s] < 0 || offsets[s + 1] < offsets[s]) return AIR_ERR_ARGUMENT;
        status = air::check_objects(objects ? objects + offsets[s] : nullptr, offsets[s + 1] - offsets[s]);
        if (status != AIR_OK) return status;
    }
    const size_t pixels = size_t(setup.view.width) * setup.view.height;
    std::atomic<int32_t> next{0}, result{AIR_OK};
    auto work = [&](air::Scratch &scratch) {
        for (int32_t s; (s = next.fetch_add(1)) < scenes;) {
            try {
                air::render_scene(setup, lit[lights ? s : 0], objects + offsets[s], offsets[s + 1] - offsets[s],
                                  rgb ? rgb + 3 * pixels * s : nullptr, masks ? masks + pixels * s : nullptr,
                                  nullptr, scratch);
            } catch (const std::bad_alloc &) {
                result = AIR_ERR_MEMORY;
            }
        }
    };
    if (!pool) {
        try {
            air::Scratch scratch;
            work(scratch);
        } catch (const std::bad_alloc &) {
            return AIR_ERR_MEMORY;
        }
    } else {
        pool->run([&](int worker) { work(pool->scratch[worker]); });
    }
    return result;
}

}  // extern "C"
