// swift-tools-version:6.2
import PackageDescription

// Our own targets build in Swift 6 language mode (strict concurrency): loops that block own their
// thread and hand values on as Sendable ones (docs/writer.md).
let languageMode: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "runledger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "runledger", targets: ["runledger"]),
        // For Benchmarks/ (its own package, so that package-benchmark never enters this one's build).
        .library(name: "RunLedgerCore", targets: ["RunLedgerCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Already Hummingbird's: named for the connection guard (NIO handlers) and the ledger readers' thread pool.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // The HTML pages' templates (escaping by default).
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // gzip for /metrics when the scraper accepts it.
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        // --web.config.file: TLS (swift-nio-ssl through HummingbirdTLS), bcrypt, and the YAML of exporter-toolkit.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // System libraries (module maps over the Debian -dev packages).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        .systemLibrary(name: "CSystemd", path: "Sources/CSystemd"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CPostgres", path: "Sources/CPostgres"),
        // The revision, commit date and compiler version of this build (tools/build-stamp.sh writes them).
        .target(name: "CBuildInfo"),

        // Pure logic: envelopes, profiles and rules, correlation, run records, detectors, metric math. No I/O.
        .target(name: "RunLedgerCore", swiftSettings: languageMode),
        // The ledger: its protocols (ingest, reads, outbox), the backend seam, the SQLite ledger (schema,
        // batched transactions, positions, rollups, outbox) and the PostgreSQL one (libpq) for fleets.
        .target(
            name: "RunLedgerStore", dependencies: ["RunLedgerCore", "CSQLite", "CPostgres"], swiftSettings: languageMode
        ),
        // What the executor says of its runs in its own database, read-only (SQLite, or PostgreSQL through
        // libpq): not the ledger, a source of reports for it.
        .target(
            name: "RunLedgerReports", dependencies: ["RunLedgerCore", "RunLedgerStore", "CPostgres"],
            swiftSettings: languageMode),
        // Byte sources: files (and, later, journald and stdin).
        .target(
            name: "RunLedgerSources", dependencies: ["RunLedgerCore", "CSystemd", "CZlib"], swiftSettings: languageMode),
        // Source -> extract -> correlate -> ledger, committed with the source position.
        .target(
            name: "RunLedgerIngest",
            dependencies: [
                "RunLedgerCore", "RunLedgerStore", "RunLedgerReports", "RunLedgerSources", "RunLedgerHTTP",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: languageMode
        ),
        // HTTP client through libcurl (alert delivery, the executor's status API) and secret references.
        .target(name: "RunLedgerHTTP", dependencies: ["CCurl"], swiftSettings: languageMode),
        // Alert delivery: webhook formats, retries with backoff, 429s.
        .target(
            name: "RunLedgerNotify", dependencies: ["RunLedgerCore", "RunLedgerStore", "RunLedgerHTTP"],
            swiftSettings: languageMode),
        // HTTP: /metrics, /api/runs, /healthz, the HTML pages (landing, /runs, /runs/{id}); Prometheus exposition.
        .target(
            name: "RunLedgerServer",
            dependencies: [
                "RunLedgerCore", "RunLedgerStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: languageMode
        ),
        .executableTarget(
            name: "runledger",
            dependencies: [
                "RunLedgerCore", "RunLedgerStore", "RunLedgerReports", "RunLedgerSources", "RunLedgerIngest",
                "RunLedgerServer", "RunLedgerNotify", "RunLedgerHTTP",
                // sd_notify: READY=1 and the watchdog for a Type=notify unit.
                "CSystemd",
                "CBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // SIGHUP reloads the configuration (UnixSignalsSequence).
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: languageMode
        ),

        // Test support shared by the test targets: a throwaway PostgreSQL server from the Debian binaries,
        // the executor's table in it, commands started cleanly, free loopback ports.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: languageMode),
        .testTarget(name: "RunLedgerCoreTests", dependencies: ["RunLedgerCore"], swiftSettings: languageMode),
        .testTarget(
            name: "RunLedgerStoreTests",
            dependencies: [
                "RunLedgerCore", "RunLedgerStore", "RunLedgerReports", "RunLedgerIngest", "RunLedgerServer",
                "RunLedgerNotify", "RunLedgerHTTP", "RunLedgerSources", "TestSupport",
                // The connection guard driven on an embedded channel, with a clock the test moves; the
                // router asked without a socket (StoreReadsTests).
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: languageMode
        ),
        .testTarget(
            name: "RunLedgerEndToEndTests", dependencies: ["RunLedgerCore", "TestSupport"],
            swiftSettings: languageMode),
    ]
)
