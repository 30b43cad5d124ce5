// swift-tools-version:6.2

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // https://github.com/apple/swift-evolution/blob/main/proposals/0335-existential-any.md
    .enableUpcomingFeature("ExistentialAny"),
    // https://github.com/swiftlang/swift-evolution/blob/main/proposals/0444-member-import-visibility.md
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The numeric kernels target the CI machines' baseline (AVX2, FMA, F16C), never `-march=native`:
/// a binary built on a newer core must still run on the fleet. Their AVX-512 build comes from
/// function-level target attributes (Sources/ExecuteKernels/AVX512) and is chosen at run time.
let kernelFlags: [CSetting] = [
    .unsafeFlags(["-O3", "-mavx2", "-mfma", "-mf16c", "-fno-math-errno"])
]

let package = Package(
    name: "lightserve",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lightserve", targets: ["LightServe"]),
        .executable(name: "lightserve-bench", targets: ["LightServeBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-service-context.git", from: "1.5.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // MARK: System libraries
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        // Inflates the wheels models are fetched in (ModelStore).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // MARK: Shared vocabulary and the model file
        .target(
            name: "LightServeCore",
            dependencies: [
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms")
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "GGUF", swiftSettings: swiftSettings),
        // The chat-template language: a Jinja interpreter for the subset real templates use.
        .target(
            name: "Jinja",
            dependencies: ["LightServeCore"],
            swiftSettings: swiftSettings
        ),
        // Models by name: the catalog (models.tsv, which scripts/fetch-model reads too), the
        // cache, and fetching wheels from PyPI.
        .target(
            name: "ModelStore",
            dependencies: ["CZlib"],
            resources: [.embedInCode("models.tsv")],
            swiftSettings: swiftSettings
        ),

        // MARK: The pipeline, in the order a request flows through it
        .target(
            name: "Ingress",
            dependencies: [
                "LightServeCore",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            // The web console's page, compiled into the binary (ConsoleRoutes).
            resources: [.embedInCode("Console/console.html")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Tokenize",
            dependencies: ["LightServeCore", "GGUF", "Grammar", "Jinja"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Schedule",
            dependencies: ["LightServeCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Execute",
            dependencies: ["LightServeCore", "GGUF", "ExecuteKernels", "CPUFeatures"],
            swiftSettings: swiftSettings
        ),
        // OpenBLAS is opened at run time (blas.c), after its core type is chosen, never linked.
        .target(
            name: "ExecuteKernels",
            cSettings: kernelFlags
        ),
        // Plain x86-64, no kernel flags: it must run on a processor the kernels cannot.
        .target(name: "CPUFeatures"),
        .target(
            name: "Detokenize",
            dependencies: ["LightServeCore", "Tokenize"],
            swiftSettings: swiftSettings
        ),
        // Constrained decoding: grammars (EBNF, regex, JSON Schema) compiled against a vocabulary
        // into token masks.
        .target(
            name: "Grammar",
            dependencies: ["LightServeCore"],
            swiftSettings: swiftSettings
        ),

        // MARK: The binary: wires the stages, nothing else
        .executableTarget(
            name: "LightServe",
            dependencies: [
                "CJemalloc",
                "Detokenize",
                "Execute",
                "GGUF",
                "Grammar",
                "Ingress",
                "Jinja",
                "LightServeCore",
                "ModelStore",
                "Schedule",
                "Tokenize",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmarks (bench/)
        .executableTarget(
            name: "LightServeBench",
            dependencies: [
                "Execute",
                "ExecuteKernels",
                "GGUF",
                "Grammar",
                "LightServeCore",
                "LoadClient",
                "Tokenize",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/LightServeBench",
            swiftSettings: swiftSettings
        ),

        .target(
            name: "LoadClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "bench/LoadClient",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        .target(
            name: "TestSupport",
            dependencies: ["GGUF"],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LightServeCoreTests",
            dependencies: ["LightServeCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ModelStoreTests",
            dependencies: [
                "CZlib", "ModelStore", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GGUFTests",
            dependencies: ["GGUF", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JinjaTests",
            dependencies: ["Jinja", "LightServeCore", "GGUF", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenizeTests",
            dependencies: ["Tokenize", "GGUF", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExecuteTests",
            dependencies: ["Execute", "ExecuteKernels", "GGUF", "LightServeCore", "Tokenize", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ScheduleTests",
            dependencies: ["Schedule", "LightServeCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpeculationTests",
            dependencies: ["Schedule", "Execute", "Tokenize", "LightServeCore", "GGUF", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IngressTests",
            dependencies: [
                "Ingress", "LightServeCore", "GGUF", "LoadClient", "TestSupport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // The endpoint tests run the real server binary.
                "LightServe",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GrammarTests",
            dependencies: ["Grammar", "LightServeCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DetokenizeTests",
            dependencies: ["Detokenize", "Tokenize", "GGUF", "TestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
