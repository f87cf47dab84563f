// Meshes straight from SCENE-SPEC.md "Shape classes". Faces are kept as polygons (not
// triangles) so that each face has one plane, one normal and one shade.
#include "shapes.hpp"
#include "air_renderer.h"
#include <cmath>
#include <initializer_list>

namespace air {
namespace {

struct Builder {
    Mesh mesh;

    int vertex(double x, double y, double z) {
        mesh.vertices.push_back({x, y, z});
        return int(mesh.vertices.size()) - 1;
    }

    // Newell's normal: exact for planar polygons up to rounding.
    void face(std::initializer_list<int> ids) {
        glm::dvec3 n(0.0);
        std::vector<int> v(ids);
        for (size_t i = 0; i < v.size(); i++) {
            glm::dvec3 a = mesh.vertices[v[i]], b = mesh.vertices[v[(i + 1) % v.size()]];
            n += glm::cross(a, b);
        }
        face(v, glm::normalize(n));
    }

    void face(const std::vector<int> &ids, glm::dvec3 normal) {
        mesh.faces.push_back({int(mesh.indices.size()), int(ids.size()), normal});
        mesh.indices.insert(mesh.indices.end(), ids.begin(), ids.end());
    }

    // Every edge with its two faces: a closed solid has each edge in exactly two faces,
    // once in each direction.
    Mesh done() {
        for (size_t f = 0; f < mesh.faces.size(); f++) {
            const Face &face = mesh.faces[f];
            for (int k = 0; k < face.count; k++) {
                const int a = mesh.indices[face.first + k], b = mesh.indices[face.first + (k + 1) % face.count];
                if (a > b) continue;  // the face on the other side sees a < b
                for (size_t g = 0; g < mesh.faces.size(); g++) {
                    const Face &other = mesh.faces[g];
                    for (int m = 0; m < other.count; m++)
                        if (mesh.indices[other.first + m] == b && mesh.indices[other.first + (m + 1) % other.count] == a)
                            mesh.edges.push_back({a, b, int(f), int(g)});
                }
            }
        }
        return mesh;
    }
};

Mesh box(double hx, double hy, double h) {
    Builder b;
    for (double z : {0.0, h}) {
        b.vertex(-hx, -hy, z);
        b.vertex(hx, -hy, z);
        b.vertex(hx, hy, z);
        b.vertex(-hx, hy, z);
    }
    b.face({0, 3, 2, 1});  // bottom
    b.face({4, 5, 6, 7});  // top
    b.face({0, 1, 5, 4});  // -y
    b.face({1, 2, 6, 5});  // +x
    b.face({2, 3, 7, 6});  // +y
    b.face({3, 0, 4, 7});  // -x
    return b.done();
}

// 24-sided prism: side k has normal angle 15k degrees, so its vertices sit at 15k -/+ 7.5.
Mesh cylinder() {
    const int sides = 24;
    const double pi = 3.14159265358979323846;
    Builder b;
    for (double z : {0.0, 1.0})
        for (int m = 0; m < sides; m++) {
            double a = (15.0 * m + 7.5) * pi / 180.0;  // vertex m lies between sides m and m + 1
            b.vertex(0.5 * std::cos(a), 0.5 * std::sin(a), z);
        }
    std::vector<int> bottom, top;
    for (int m = 0; m < sides; m++) {
        bottom.push_back(sides - 1 - m);
        top.push_back(sides + m);
    }
    b.face(bottom, {0, 0, -1});
    b.face(top, {0, 0, 1});
    for (int k = 0; k < sides; k++) {
        int lo = (k + sides - 1) % sides, hi = k;
        double a = 15.0 * k * pi / 180.0;
        b.face({lo, hi, sides + hi, sides + lo}, {std::cos(a), std::sin(a), 0.0});
    }
    return b.done();
}

// x >= -0.5, |y| <= 0.5, z >= 0, x + z <= 0.5.
Mesh wedge() {
    Builder b;
    b.vertex(-0.5, -0.5, 0);  // 0
    b.vertex(0.5, -0.5, 0);   // 1
    b.vertex(0.5, 0.5, 0);    // 2
    b.vertex(-0.5, 0.5, 0);   // 3
    b.vertex(-0.5, -0.5, 1);  // 4
    b.vertex(-0.5, 0.5, 1);   // 5
    b.face({0, 3, 2, 1});     // bottom
    b.face({3, 0, 4, 5});     // back, x = -0.5
    b.face({1, 2, 5, 4});     // ramp, x + z = 0.5
    b.face({0, 1, 4});        // y = -0.5
    b.face({2, 3, 5});        // y = +0.5
    return b.done();
}

Mesh pyramid() {
    Builder b;
    b.vertex(-0.5, -0.5, 0);
    b.vertex(0.5, -0.5, 0);
    b.vertex(0.5, 0.5, 0);
    b.vertex(-0.5, 0.5, 0);
    b.vertex(0, 0, 1);  // apex
    b.face({0, 3, 2, 1});
    b.face({0, 1, 4});
    b.face({1, 2, 4});
    b.face({2, 3, 4});
    b.face({3, 0, 4});
    return b.done();
}

}  // namespace

const Mesh &shape_mesh(int shape) {
    // Built once, read-only afterwards (C++11 guarantees thread-safe initialisation).
    static const Mesh meshes[AIR_SHAPE_COUNT] = {
        box(0.5, 0.5, 1.0), box(0.8, 0.4, 0.8), cylinder(), wedge(), pyramid(),
    };
    return meshes[shape];
}

}  // namespace air
