#include "light.hpp"
#include <cmath>

namespace air {

int32_t make_light(const air_light *in, Light &out) {
    const air_light l = in ? *in : air_default_light();
    const double d[3] = {l.direction[0], l.direction[1], l.direction[2]};
    for (double v : d)
        if (!std::isfinite(v)) return AIR_ERR_LIGHT;
    if (!(d[2] > 0.0)) return AIR_ERR_LIGHT;
    if (!std::isfinite(l.ambient) || !std::isfinite(l.diffuse) || l.ambient < 0.0 || l.diffuse < 0.0)
        return AIR_ERR_LIGHT;
    if (l.shadows != 0 && l.shadows != 1) return AIR_ERR_LIGHT;
    for (float c : l.table_color)
        if (!std::isfinite(c)) return AIR_ERR_LIGHT;
    const glm::dvec3 dir(d[0], d[1], d[2]);
    const double len = std::sqrt(glm::dot(dir, dir));
    if (!(len > 0.0) || !std::isfinite(len)) return AIR_ERR_LIGHT;
    out.L = glm::normalize(dir);
    out.ambient = l.ambient;
    out.diffuse = l.diffuse;
    out.shadows = l.shadows == 1;
    out.table = {l.table_color[0], l.table_color[1], l.table_color[2]};
    return AIR_OK;
}

}  // namespace air

extern "C" air_light air_default_light(void) {
    air_light l = {{-0.4, -0.6, 1.0}, 0.3, 0.7, 0, {0.50f, 0.48f, 0.45f}};
    return l;
}
