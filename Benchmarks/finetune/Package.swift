// swift-tools-version: 6.0
// The fine-tuning benchmark: full fine-tuning throughput and memory of MLCore's FineTuner (see run.sh).
// Not a test.
import PackageDescription

let package = Package(
    name: "FineTuneBenchmark",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Lunette", path: "../..")],
    targets: [
        .executableTarget(
            /** Times forward + backward + AdamW steps of full fine-tuning on generated ~N-token examples. */
            name: "finetune-bench", dependencies: [.product(name: "MLCore", package: "Lunette")]),
    ]
)
