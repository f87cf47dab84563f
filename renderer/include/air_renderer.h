/*
 * air renderer: a CPU rasteriser for the scenes of ../shared/SCENE-SPEC.md.
 *
 * Images are float RGB, interleaved, row-major from the top row:
 * pixel (i, j) channel c is at [(j * width + i) * 3 + c], each value the
 * mean of the pixel's samples after clamping to [0, 1].
 * Masks are uint8, one per pixel: 0 for the table, k + 1 for object k.
 *
 * Every function returns AIR_OK (0) or a negative error code; air_error_string
 * names it. No function keeps global state: thread pools and caches are
 * objects the caller creates and destroys. Inputs are checked before anything
 * is written, so a failed call (other than AIR_ERR_MEMORY) leaves the outputs untouched.
 *
 * Choices the spec leaves open (see renderer/README.md): geometry closer than
 * 1e-4 to the eye plane is clipped away; a sample exactly on an edge shared by
 * two faces belongs to exactly one of them; where two objects are at exactly the
 * same depth the lower index wins; colours outside [0, 1] are allowed (each
 * sample is clamped); a shadow ray counts a solid it meets at any t > 0 rather than
 * t > 1e-4 (they differ only where it would meet one within 1e-4 of its start). A scene
 * holds at most 255 objects.
 */
#ifndef AIR_RENDERER_H
#define AIR_RENDERER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    AIR_OK = 0,
    AIR_ERR_ARGUMENT = -1,   /* a NULL pointer, count < 0 or > 255, a non-finite object number, ... */
    AIR_ERR_SHAPE = -2,      /* shape code outside 0...4 */
    AIR_ERR_SIZE = -3,       /* width or height < 1 or > 16384 */
    AIR_ERR_SPP = -4,        /* spp not a square of 1...4 (1, 4, 9, 16) */
    AIR_ERR_CAMERA = -5,     /* degenerate camera: eye == target, up zero or parallel to view, fov outside
                                (0, 180), eye not above the table (z <= 0), non-finite numbers */
    AIR_ERR_INDEX = -6,      /* object index out of range */
    AIR_ERR_MEMORY = -7,
    AIR_ERR_LIGHT = -8,      /* light direction not finite or z <= 0, ambient or diffuse negative or not finite,
                                table colour not finite, shadows not 0 or 1 */
};

/* Shape classes, in the spec's order. */
enum { AIR_CUBE = 0, AIR_BRICK = 1, AIR_CYLINDER = 2, AIR_WEDGE = 3, AIR_PYRAMID = 4, AIR_SHAPE_COUNT = 5 };

typedef struct {
    int32_t shape;        /* AIR_CUBE ... AIR_PYRAMID */
    float color[3];       /* RGB albedo in [0, 1] */
    float x, y;           /* position on the table */
    float rotation_deg;   /* yaw, counter-clockwise seen from above */
} air_object;

typedef struct {
    float eye[3];
    float target[3];
    float up[3];
    float fov_y_deg;
    int32_t width, height;
    int32_t spp;          /* samples per pixel: 1, 4, 9 or 16 (n x n grid) */
} air_camera;

/* The spec's defaults: eye (0,-4.5,7.5), target (0,0.3,0), up (0,0,1), 40 deg, 64x64, spp 4. */
air_camera air_default_camera(void);

/* The scene's light and table (spec v2, "Light, table and shading"). Doubles, so that the
 * defaults give exactly the v1 shading (0.3 + 0.7 max(0, n.L) computed in double). */
typedef struct {
    double direction[3];  /* towards the light, z > 0; normalised by the renderer */
    double ambient;       /* finite, >= 0 */
    double diffuse;       /* finite, >= 0 */
    int32_t shadows;      /* 1: hard shadows of the directional light; 0: none */
    float table_color[3]; /* the table's RGB albedo */
} air_light;

/* The spec's defaults: direction (-0.4, -0.6, 1), ambient 0.3, diffuse 0.7, no shadows,
 * table (0.50, 0.48, 0.45). Every function below takes light == NULL as these. */
air_light air_default_light(void);

const char *air_error_string(int32_t code);

/* Renders one scene. rgb: width*height*3 floats (may be NULL); mask: width*height bytes (may be NULL).
 * The mask comes from one ray through each pixel centre, which for spp 4 and 16 is not a colour sample. */
int32_t air_render(const air_camera *camera, const air_light *light, const air_object *objects, int32_t count,
                   float *rgb, uint8_t *mask);

/* Per-object shading coverage, the exact derivative of the image by each object's albedo:
 * shade[(k * height + j) * width + i] = mean over pixel (i, j)'s samples of
 * (ambient + diffuse max(0, n.L) lit(p)) where the sample sees object k, else 0.
 * So rgb(i, j, c) = table part + sum_k color_k[c] * shade_k(i, j) wherever no sample is clamped.
 * Array of count*width*height floats. */
int32_t air_render_shading(const air_camera *camera, const air_light *light, const air_object *objects,
                           int32_t count, float *shade);

/* air_render's rgb and air_render_shading's shade of one scene from one pass (each output as
 * the two functions give it, bit for bit). */
int32_t air_render_with_shading(const air_camera *camera, const air_light *light, const air_object *objects,
                                int32_t count, float *rgb, float *shade);

/* air_render_with_shading with the shading of object `object` (0 ≤ object < count) alone:
 * shade[width*height], bit for bit that object's plane there. A caller that needs one plane
 * (the newest object's, to fit its albedo) then clears and writes one plane, not count. */
int32_t air_render_with_object_shading(const air_camera *camera, const air_light *light, const air_object *objects,
                                       int32_t count, int32_t object, float *rgb, float *shade);

/* air_render_with_object_shading(..., count - 1, ...) for rgb that already holds the image of
 * objects[0 ..< count - 1] (the same camera and light, as air_render wrote it): only the pixels
 * the last object can change are rendered again (its box and, with shadows, the box of its
 * shadow volume, which holds all it can shade); the rest of rgb is left as it is, and is then
 * the full render's bit for bit. shade gets the last object's plane, all of it. region (may be
 * NULL) gets the box rendered, [region[0], region[2]) x [region[1], region[3]) (empty when
 * region[0] == region[2]). Cost: every object prepared, only the box rasterised. */
int32_t air_render_added(const air_camera *camera, const air_light *light, const air_object *objects,
                         int32_t count, float *rgb, float *shade, int32_t region[4]);

/* Geometry at the pixel centres (the mask's rays): depth[width*height] the depth along the
 * view axis (distance from the eye measured along the viewing direction, scene units) of the
 * surface each ray hits, normals[width*height*3] that surface's outward world normal (the table:
 * 0, 0, 1), mask as air_render's. A ray that hits nothing gets depth 0 and normal 0. Any output
 * may be NULL. Light and shadows play no part. */
int32_t air_render_geometry(const air_camera *camera, const air_object *objects, int32_t count,
                            float *depth, float *normals, uint8_t *mask);

/* ---- Many scenes per call, on a thread pool ---------------------------- */

typedef struct air_pool air_pool;

/* threads <= 0 means one per hardware thread. The threads start here and wait for work;
 * the thread calling air_render_batch works too. NULL if threads cannot be started. */
air_pool *air_pool_create(int32_t threads);
void air_pool_destroy(air_pool *pool);
int32_t air_pool_threads(const air_pool *pool);

/* Renders scene s = objects[offsets[s] ..< offsets[s + 1]] for s in 0 ..< scenes, all with one camera,
 * scene s under lights[s] (lights may be NULL: every scene under the default light).
 * offsets has scenes + 1 entries. rgb: scenes*width*height*3 floats (or NULL);
 * masks: scenes*width*height bytes (or NULL). pool may be NULL (then the calling thread does all).
 * The output does not depend on the number of threads. */
int32_t air_render_batch(air_pool *pool, const air_camera *camera, const air_light *lights,
                         const air_object *objects, const int32_t *offsets, int32_t scenes,
                         float *rgb, uint8_t *masks);

/* ---- Cheap re-renders for finite differences -------------------------- */

/* A cache holds one scene's per-object layers so that rendering the same scene with one
 * object changed costs one object's rasterisation plus re-compositing the changed region.
 * One cache serves one thread at a time. */
typedef struct air_cache air_cache;

air_cache *air_cache_create(void);
void air_cache_destroy(air_cache *cache);

/* Renders the base scene into the cache and, if rgb is not NULL, writes its image
 * (identical to air_render's). */
int32_t air_cache_set_scene(air_cache *cache, const air_camera *camera, const air_light *light,
                            const air_object *objects, int32_t count, float *rgb);

/* Renders the base scene with objects[index] replaced by *moved, without changing the cache.
 * rgb must hold the base image (as air_cache_set_scene wrote it); only the pixels inside
 * the returned region [region[0], region[2]) x [region[1], region[3]) are overwritten,
 * and all other pixels of the moved scene equal the base image's. The result inside the
 * region equals a full air_render of the moved scene bit for bit.
 * The region is the union of the object's old and new pixel boxes (possibly larger than
 * what changed), and with shadows on also of the screen boxes of its old and new shadow
 * volumes above the table (the hull of its vertices and their projections along the light
 * onto the table: every pixel whose shadow it can change; the whole image if part of that
 * lies behind the eye). An empty region has region[0] == region[2]. region may be NULL.
 * Cost: one object's rasterisation plus re-compositing the region (with shadows, plus the
 * moved object's shadow polygons and marking the region's shadowed samples). */
int32_t air_cache_render_moved(air_cache *cache, int32_t index, const air_object *moved,
                               float *rgb, int32_t region[4]);

#ifdef __cplusplus
}
#endif

#endif
