// The five block classes of the spec as polygon meshes in the object frame.
#pragma once
#include <glm/glm.hpp>
#include <vector>

namespace air {

// A planar convex face: indices[first ..< first + count], counter-clockwise seen from
// outside, with its outward unit normal.
struct Face {
    int first, count;
    glm::dvec3 normal;
};

// An edge of the solid and the two faces that meet there (for shadow silhouettes).
struct MeshEdge {
    int v0, v1;
    int face0, face1;
};

struct Mesh {
    std::vector<glm::dvec3> vertices;
    std::vector<int> indices;
    std::vector<Face> faces;
    std::vector<MeshEdge> edges;  // each edge once
};

// shape is one of AIR_CUBE ... AIR_PYRAMID (checked by the caller).
const Mesh &shape_mesh(int shape);

}  // namespace air
