import ArgumentParser
import RunLedgerCore
import RunLedgerServer
import RunLedgerStore

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Print the Prometheus exposition the ledger implies, once.")

    @Option(name: .long, help: "The ledger to read (an SQLite path, or postgresql://…).")
    var db: String

    @Option(name: .long, help: "Whose metrics, in a PostgreSQL ledger (default: this host's name).")
    var instance: String?

    @Option(name: .long, help: "Configuration file (JSON), for the workflows exported at 0.")
    var config: String?

    func run() async throws {
        try await reportingFailures {
            let settings = try config.map(Settings.load) ?? Settings()
            let ledger = try LedgerBackends.open(
                db, instance: try checkedInstance(instance ?? settings.instance, origin: "--instance")
            ).openReader()
            let sources = try ledger.positions().map(\.source)
            let metrics = LiveMetrics(
                rollups: try ledger.rollups(), workflows: settings.resolvedProfile.knownWorkflows + settings.workflows,
                sources: sources, build: .current)
            print(metrics.render(), terminator: "")
        }
    }
}
