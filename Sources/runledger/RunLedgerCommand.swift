import ArgumentParser
import RunLedgerCore

@main
struct RunLedgerCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "runledger",
        abstract: "Reads an AI-agent executor's logs into a per-run SQLite ledger and serves Prometheus metrics.",
        version: BuildInfo.current.versionText,
        subcommands: [Serve.self, Replay.self, Runs.self, MetricsCommand.self, Alerts.self, Check.self, Migrate.self]
    )
}

/// A bad input, a missing file, a corrupt database: one line naming what is at fault, exit 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a command body and turns any error into one line on stderr and exit code 1.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as ExitCode {
        throw e
    } catch {
        printError("runledger: \(error)")
        throw ExitCode(1)
    }
}
