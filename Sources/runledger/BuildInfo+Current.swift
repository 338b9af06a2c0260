import CBuildInfo
import RunLedgerCore

extension BuildInfo {
    /// This binary's: the version has one home (`RunLedgerCommand.version`, which `make release` reads for
    /// the package), the rest comes from the build stamp.
    static let current = BuildInfo(
        version: RunLedgerCommand.version, revision: String(cString: runledger_build_revision()),
        date: String(cString: runledger_build_date()), swiftVersion: String(cString: runledger_build_swift_version()))
}
