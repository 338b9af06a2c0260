/// Which RunLedger this is: `runledger --version` and the labels of `runledger_build_info`, the
/// exporter convention (node_exporter's `node_exporter_build_info{version,revision,goversion,…}`),
/// with the Swift compiler's version where Go exporters name Go's.
public struct BuildInfo: Sendable, Equatable {
    public var version: String
    public var revision: String
    /// The date of the commit built (reproducible: two builds of one commit say the same).
    public var date: String
    public var swiftVersion: String

    public init(version: String, revision: String, date: String, swiftVersion: String) {
        self.version = version
        self.revision = revision
        self.date = date
        self.swiftVersion = swiftVersion
    }

    /// A build that says only its version (a library user's, a test's).
    public static func unknown(version: String) -> BuildInfo {
        BuildInfo(version: version, revision: "unknown", date: "unknown", swiftVersion: "unknown")
    }

    /// `runledger, version 0.1.0 (revision: 1a2b3c4d5e6f)` and a second line with the build date and the
    /// compiler, as Prometheus's `--version` prints them.
    public var versionText: String {
        "runledger, version \(version) (revision: \(revision))\n  build date: \(date)\n  swift version: \(swiftVersion)"
    }

    public var metricLabels: [(String, String)] {
        [("version", version), ("revision", revision), ("swiftversion", swiftVersion)]
    }
}
