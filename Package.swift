// swift-tools-version:6.0
import PackageDescription

// Release builds drop bounds and exclusivity checks in Engine alone: paired benchmarks
// (2026-11-30, release, one thread) showed a gain above 5 % only there (per-op overhead
// 0.77 against 0.81 µs, +5.5 %; STN +3 %; `air bench infer` +2.5-4 %), and none in the other
// modules (render, generate, refine within ±3 %), which keep their checks. Engine's loops are
// tested in debug builds, where the checks stay on, and its safetensors reader is fuzzed
// with them (fuzz/).
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "air",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "air", targets: ["AirCLI"]),
        .library(name: "AIR", targets: ["AIR"]),
        .library(name: "Scenes", targets: ["Scenes"]),
        .library(name: "Engine", targets: ["Engine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // Open MPI (mpirun/srun jobs): the C API behind a shim of its handle macros.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // The rasteriser: C++17 + GLM behind a C header (renderer/include/air_renderer.h).
        .target(
            name: "Renderer",
            path: "renderer",
            exclude: ["README.md"],
            cxxSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off"])],
            linkerSettings: [.linkedLibrary("pthread")]
        ),
        // Implicit-GEMM convolution kernels (AVX-512 and AVX2, chosen at run time) for the Engine's conv2d.
        .target(name: "ConvKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // Adam's elementwise update, vectorised without libm's errno branch and bit for bit the scalar formula.
        .target(name: "OptimizerKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off"])]),
        .target(name: "Random"),
        // Reading inputs and writing outputs safely (atomic writes, no special files, no input overwritten).
        .target(name: "Files"),
        // The line-keeping JSON parser and byte-stable writer, shared by Scenes and Engine.
        .target(name: "JSON"),
        // What the processes of a job do together (a single process, or MPI ranks).
        .target(name: "Collective"),
        .target(name: "MPI", dependencies: ["CMPI", "Collective"]),
        .target(name: "Scenes", dependencies: ["Renderer", "CPNG", "Random", "JSON", "Files", "Collective"]),
        .target(name: "Engine", dependencies: ["CBLAS", "ConvKernels", "OptimizerKernels", "Random", "JSON", "Files"], exclude: ["README.md"], swiftSettings: fast),
        .target(name: "AIR", dependencies: ["Engine", "Scenes", "Random", "Collective"]),
        // Self-contained HTML reports (inline SVG) of runs and evaluations.
        .target(name: "Reports", dependencies: ["AIR"]),
        .executableTarget(
            name: "AirCLI",
            dependencies: ["AIR", "Reports", "Scenes", "MPI", "Collective", "Engine", "Random", "Renderer", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "RandomTests", dependencies: ["Random"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "RendererTests", dependencies: ["Renderer", "Random"]),
        .testTarget(name: "ScenesTests", dependencies: ["Scenes", "Renderer"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "ConvKernels", "OptimizerKernels"]),
        .testTarget(name: "AIRTests", dependencies: ["AIR", "Scenes", "Engine", "Collective"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "AIR"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
