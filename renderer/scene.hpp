// One full render of a scene: every object rasterised into one sample buffer over the
// union of the objects' boxes (and of their shadows on the table), then the shadow pass;
// the rest of the image is unshadowed table.
#pragma once
#include "composite.hpp"
#include "shadow.hpp"

namespace air {

// AIR_OK, or the error code for the first bad object (shape code, non-finite numbers).
int32_t check_objects(const air_object *objects, int32_t count);

// A camera made ready for rendering: the view and the lattices it samples.
struct Setup {
    View view;
    Lattice colour;   // n x n samples per pixel
    Lattice centres;  // one per pixel centre (the mask's rays); empty when colour has them (odd n)
};

int32_t make_setup(const air_camera &camera, Setup &setup);

// Working memory for renders, reused from call to call by one thread.
struct Scratch {
    std::vector<PreparedObject> objects;
    Palette palette;
    SampleBuffer samples, centres;
    std::vector<ShadowObject> casters;
    Shadows shadows;  // of objects on objects
    std::vector<PixelBox> boxes, runs;
};

// Disjoint one-row boxes covering exactly the union of `boxes`.
void covered_runs(const std::vector<PixelBox> &boxes, std::vector<PixelBox> &runs);

// The boxes of the pixels that can differ from the unshadowed table: the objects' boxes
// and, with shadows (casters not NULL), the boxes of their shadows on the table.
void changed_boxes(const std::vector<PreparedObject> &objects, const std::vector<ShadowObject> *casters, int count,
                   std::vector<PixelBox> &boxes);

// Inputs already checked. rgb, mask and shade may each be NULL. shade holds every object's
// plane (count of them), or with shade_object >= 0 that object's plane alone.
// With last_added (count >= 1, no mask), rgb holds the image of the scene without its last
// object, and only the pixels that object can change are rendered: its box and, with shadows,
// its shadow volume's box (all it can shade, on the table or on the others). Adding an object
// changes no other sample, and no other shadow, so the rest already equals the full render.
// Returns the box of rgb's pixels written (the whole image but with last_added).
PixelBox render_scene(const Setup &setup, const Light &light, const air_object *objects, int32_t count, float *rgb,
                      uint8_t *mask, float *shade, Scratch &scratch, int32_t shade_object = -1, bool last_added = false);

}  // namespace air
