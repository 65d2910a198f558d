// swift-tools-version: 6.0
// The encoder benchmark: throughput and latency of MLCore's BertEncoder (see run.sh). Not a test.
import PackageDescription

let package = Package(
    name: "EncoderBenchmark",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Lunette", path: "../..")],
    targets: [
        .executableTarget(
            /** Measures texts/s at ~12/60/128 tokens and single-text latency; checks golden parity first. */
            name: "encoder-bench", dependencies: [.product(name: "MLCore", package: "Lunette")]),
    ]
)
