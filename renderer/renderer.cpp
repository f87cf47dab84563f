// Placeholder until the rasteriser lands: every entry point reports AIR_ERR_ARGUMENT.
#include "air_renderer.h"
extern "C" {
air_camera air_default_camera(void) {
    air_camera c = {{0.f, -4.5f, 7.5f}, {0.f, 0.3f, 0.f}, {0.f, 0.f, 1.f}, 40.f, 64, 64, 4};
    return c;
}
const char *air_error_string(int32_t) { return "not implemented"; }
int32_t air_render(const air_camera *, const air_object *, int32_t, float *, uint8_t *) { return AIR_ERR_ARGUMENT; }
}
