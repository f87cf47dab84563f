// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses for air's readers of untrusted bytes (see run.sh). A package of its own,
// so that the main package's build and tests never see the fuzzer runtime; it depends on the
// main package by path and is built with `swift build --sanitize=fuzzer`, which instruments
// the readers too.
let package = Package(
    name: "air-fuzz",
    dependencies: [.package(name: "air", path: "..")],
    targets: [
        .executableTarget(name: "FuzzScene", dependencies: [.product(name: "Scenes", package: "air")]),
        .executableTarget(name: "FuzzSpec", dependencies: [.product(name: "Scenes", package: "air")]),
        .executableTarget(name: "FuzzSafeTensors", dependencies: [.product(name: "Engine", package: "air")]),
        .executableTarget(name: "FuzzPNG", dependencies: [.product(name: "Scenes", package: "air")]),
    ],
    swiftLanguageModes: [.v5]
)
