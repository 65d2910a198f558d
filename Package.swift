// swift-tools-version: 6.0
//
// Lunette: turn a small hand-labelled test set into a fast, fine-tuned evaluation metric.
//
// The targets form a ladder with no upward edges (see DESIGN.md §6 and each module's README):
//
//   lunette → Commands → Workspace → Execution → Planning → TaskInterface → WorkflowModel → Basics
//                        Workspace → ManifestLoading (only Yams importer), ContentCache, RunStore (only GRDB importer)
//             Commands → TaskTypes (built-in stages) → Scoring, MLCore → COpenBLAS, Providers (LLM endpoints)
//             Commands → Server (lunette serve) → Workspace, Scoring (model folders, rows, reports) → MLCore, TaskInterface
//
// The engine (Workspace and below) never imports the ML stack: task types are registered from outside.
// examples/custom-task: NearDuplicateFilter (a task type, as a library user writes one) → TaskInterface, Scoring;
//   lunette-dedupe → Commands, NearDuplicateFilter (lunette with it registered: RootCommand.main(registering:)).
// Server never links TaskTypes or Providers: it scores through Scoring (ScoringTests checks these edges).
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Lunette",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lunette", targets: ["lunette"]),
        .library(name: "Workspace", targets: ["Workspace"]),
        .library(name: "TaskTypes", targets: ["TaskTypes"]),
        .library(name: "Scoring", targets: ["Scoring"]),
        .library(name: "MLCore", targets: ["MLCore"]),
        // What a `lunette`-compatible executable with its own task types links (README: Custom task types).
        .library(name: "TaskInterface", targets: ["TaskInterface"]),
        .library(name: "Commands", targets: ["Commands"]),
        .executable(name: "lunette-dedupe", targets: ["lunette-dedupe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.100.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: Engine
        .target(
            /** Shared vocabulary: content hashes, canonical JSON, diagnostics, graphs, atomic files, locks. */
            name: "Basics",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(
            /** Pure Sendable values describing projects, runs, metrics and stages. No I/O. */
            name: "WorkflowModel", dependencies: ["Basics"], exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(
            /** Reads manifests (workflows/NAME.yaml) into a Project with located diagnostics. The only Yams importer. */
            name: "ManifestLoading",
            dependencies: ["Basics", "WorkflowModel", .product(name: "Yams", package: "Yams")],
            exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(
            /** The plug-in seam: the TaskType protocol, its registry, and what a stage sees while it runs. */
            name: "TaskInterface", dependencies: ["Basics", "WorkflowModel"], exclude: ["README.md"],
            swiftSettings: swiftSettings),
        .target(
            /** Expands runs into a stage DAG, computes action keys and says why each stage runs. Pure. */
            name: "Planning", dependencies: ["Basics", "WorkflowModel", "TaskInterface"], exclude: ["README.md"],
            swiftSettings: swiftSettings),
        .target(
            /** Content-addressed objects and the action-key index under cache/. Answers "can I skip this?". */
            name: "ContentCache", dependencies: ["Basics"], exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(
            /** The SQLite history: invocations, stage executions, run statuses, the stat cache. The only GRDB importer. */
            name: "RunStore",
            dependencies: ["Basics", "WorkflowModel", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(
            /** Runs a plan: bounded parallelism, resource pools, keep-going, cancellation, publishing outputs. */
            name: "Execution",
            dependencies: ["Basics", "WorkflowModel", "TaskInterface", "Planning", "ContentCache", "RunStore"],
            exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(
            /** The façade a CLI or library user drives: load → plan → execute, lock files, check, verify, gc. */
            name: "Workspace",
            dependencies: [
                "Basics", "WorkflowModel", "ManifestLoading", "TaskInterface", "Planning", "ContentCache",
                "RunStore", "Execution", "RemoteCache",
            ],
            exclude: ["README.md"], swiftSettings: swiftSettings),

        // MARK: Machine learning
        .systemLibrary(
            /** OpenBLAS's CBLAS interface, found through pkg-config. */
            name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(
            /** Tensors, the WordPiece tokenizer, safetensors IO and the BERT encoder. Knows nothing of workflows. */
            name: "MLCore", dependencies: ["COpenBLAS"], exclude: ["README.md"], swiftSettings: swiftSettings),

        // MARK: LLM providers
        .target(
            /** LLM endpoints (OpenAI-compatible, Anthropic, offline): retries, rate limit, concurrency, credentials. */
            name: "Providers",
            dependencies: ["Basics", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(
            /** Remote caches: S3-compatible buckets (SigV4 on swift-crypto, AsyncHTTPClient) and shared folders. */
            name: "RemoteCache",
            dependencies: [
                "Basics", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            exclude: ["README.md"], swiftSettings: swiftSettings),

        // MARK: Scoring
        .target(
            /** A trained metric's model folder loaded and scoring rows; canonical rows, the readers, the evaluation report. No providers. */
            name: "Scoring",
            dependencies: ["Basics", "WorkflowModel", "TaskInterface", "MLCore"], exclude: ["README.md"],
            swiftSettings: swiftSettings),

        // MARK: Serving
        .target(
            /** `lunette serve`: scoring API, read-only dashboard and /metrics on Hummingbird. */
            name: "Server",
            dependencies: [
                "Basics", "WorkflowModel", "Workspace", "Scoring", "MLCore", "RunStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["README.md"], swiftSettings: swiftSettings),

        // MARK: Stages and command line
        .target(
            /** The built-in task types (load-dataset, split, exec, …) and TaskTypeRegistry.builtin. */
            name: "TaskTypes", dependencies: ["Basics", "WorkflowModel", "TaskInterface", "MLCore", "Scoring", "Providers"], exclude: ["README.md", "Train.md"],
            swiftSettings: swiftSettings),
        .target(
            /** The ArgumentParser command tree. Thin: parses, calls Workspace, formats, maps exit codes. */
            name: "Commands",
            dependencies: [
                "Basics", "WorkflowModel", "Workspace", "TaskInterface", "TaskTypes", "Scoring", "MLCore", "RunStore",
                "Server", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["README.md"], swiftSettings: swiftSettings),
        .executableTarget(
            /** The `lunette` executable: only calls RootCommand.main(). */
            name: "lunette", dependencies: ["Commands"], swiftSettings: swiftSettings),

        // MARK: Example: a task type from outside (examples/custom-task/README.md)
        .target(
            /** The near-duplicate filter for training rows: a task type written as a library user would. */
            name: "NearDuplicateFilter", dependencies: ["Basics", "WorkflowModel", "TaskInterface", "Scoring"],
            path: "examples/custom-task/Sources/NearDuplicateFilter", swiftSettings: swiftSettings),
        .executableTarget(
            /** `lunette-dedupe`: the lunette command line with the near-duplicate filter registered. */
            name: "lunette-dedupe", dependencies: ["Commands", "NearDuplicateFilter"],
            path: "examples/custom-task/Sources/lunette-dedupe", swiftSettings: swiftSettings),

        // MARK: Fuzzing
        .target(
            /** Fuzz targets: feeds one input to a parser of untrusted files and checks invariants (Fuzz/README.md). Not API. */
            name: "_FuzzTargets",
            dependencies: ["Basics", "WorkflowModel", "ManifestLoading", "TaskInterface", "TaskTypes", "Scoring", "MLCore"],
            swiftSettings: swiftSettings),
        .executableTarget(
            /** `lunette-fuzz`: the libFuzzer binary (built by scripts/fuzz with -DFUZZING) or, built normally, a replay tool. */
            name: "lunette-fuzz", dependencies: ["_FuzzTargets"], swiftSettings: swiftSettings),

        // MARK: Tests
        .target(
            /** Test-only helpers: fixtures, snapshots, fake task types, temporary workspaces. Not API. */
            name: "_TestSupport",
            dependencies: [
                "Basics", "WorkflowModel", "TaskInterface", "MLCore", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/_TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "BasicsTests", dependencies: ["Basics", "_TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ManifestLoadingTests", dependencies: ["ManifestLoading", "TaskTypes", "_TestSupport"],
            resources: [.copy("Fixtures"), .copy("Snapshots")], swiftSettings: swiftSettings),
        .testTarget(
            name: "PlanningTests", dependencies: ["Planning", "_TestSupport"], exclude: ["Snapshots"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ContentCacheTests", dependencies: ["ContentCache", "_TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RunStoreTests", dependencies: ["RunStore", "_TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ExecutionTests", dependencies: ["Execution", "_TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "MLCoreTests", dependencies: ["MLCore"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "TaskTypesTests", dependencies: ["TaskTypes", "Scoring", "_TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "FuzzCorpusTests", dependencies: ["_FuzzTargets", "Basics", "TaskTypes", "Scoring", "MLCore"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RemoteCacheTests", dependencies: ["RemoteCache", "Basics", "_TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ScoringTests", dependencies: ["Scoring", "Basics"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ProvidersTests", dependencies: ["Providers", "_TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ServerTests", dependencies: ["Server", "Workspace", "TaskTypes", "Scoring", "MLCore", "Basics", "_TestSupport"],
            exclude: ["Cases"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Commands", "Workspace", "TaskTypes", "Scoring", "MLCore", "RemoteCache", "lunette", "lunette-dedupe",
                "NearDuplicateFilter", "_TestSupport",
            ],
            exclude: ["Cases"], swiftSettings: swiftSettings),
    ]
)
