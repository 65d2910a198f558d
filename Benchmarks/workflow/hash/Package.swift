// swift-tools-version: 6.0
//
// `lunette-hash`: times Lunette's file hashing (`ContentHash.ofFile(at:)`, the code `lunette` uses to
// hash inputs and outputs) so that Benchmarks/workflow/run.sh can compare it with `sha256sum`.
//
// `Sources/Basics` is a symbolic link to the real `Sources/Basics` of the repository: the benchmark
// compiles and runs Lunette's own code, not a copy of it. The root package exports no Basics library,
// which is why this package compiles the module itself.
import PackageDescription

let package = Package(
    name: "LunetteHashBenchmark",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .target(
            name: "Basics",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        .executableTarget(
            name: "lunette-hash", dependencies: ["Basics"],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
    ]
)
