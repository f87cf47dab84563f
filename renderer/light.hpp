// The scene's directional light and table (spec v2): checked once per render, then the
// shade of a face with outward normal n is ambient + diffuse max(0, n.L).
#pragma once
#include "air_renderer.h"
#include <array>
#include <glm/glm.hpp>

namespace air {

using Albedo = std::array<float, 3>;

struct Light {
    glm::dvec3 L{0.0, 0.0, 1.0};  // unit vector towards the light
    double ambient = 0.3, diffuse = 0.7;
    bool shadows = false;
    Albedo table{0.50f, 0.48f, 0.45f};

    // Lit shade of a face: the spec's formula in double, rounded once (the v1 bytes for the defaults).
    float shade(const glm::dvec3 &normal) const {
        const double c = glm::dot(normal, L);
        return float(ambient + diffuse * (c > 0.0 ? c : 0.0));
    }
    // What a face in shadow (or turned from the light) keeps.
    float ambient_shade() const { return float(ambient); }
    // The table's normal is +z.
    float table_shade() const { return shade({0.0, 0.0, 1.0}); }
};

// Validates `in` (NULL: the spec's defaults) and fills `out`; AIR_OK or AIR_ERR_LIGHT.
int32_t make_light(const air_light *in, Light &out);

}  // namespace air
