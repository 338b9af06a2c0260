// swift-tools-version:6.1
import PackageDescription

// Micro-benchmarks of RunLedgerCore's hot path (`make bench-micro`). A package of its own, with a path
// dependency on the main one, so that `swift build` and CI there never build package-benchmark.
// package-benchmark's default traits include RuntimeInterposer, whose package is not in the offline
// mirror; MallocInterposer alone gives the malloc counts these benchmarks check.
let package = Package(
    name: "runledger-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "runledger", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // package-benchmark's plugin finds a benchmark target's sources under Benchmarks/<target>/.
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: [
                .product(name: "RunLedgerCore", package: "runledger"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/CoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
