// swift-tools-version: 6.0
// The scoring benchmark: latency and throughput of a registered metric scored in-process through
// `MetricModel` (see run.sh). Not a test.
import PackageDescription

let package = Package(
    name: "ScoreBenchmark",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Lunette", path: "../..")],
    targets: [
        .executableTarget(
            /** Loads an exported metric folder once, then times single-row and batch scoring. */
            name: "score-bench", dependencies: [.product(name: "TaskTypes", package: "Lunette")]),
    ]
)
