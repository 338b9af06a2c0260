import Foundation
import RunLedgerCore
import RunLedgerIngest
import RunLedgerNotify
import RunLedgerStore

/// What `serve` and `replay` both build from the settings and flags, in one place: the ingest options,
/// where the ledger lives, the report sources, the sinks and their retry policy. Each command then only
/// decides how to run them (follow and serve, or read once and exit).
///
/// A value every thread may hold: the connections and sources it opens are new for each caller, so
/// each of `serve`'s threads opens its own and no other thread touches them.
struct Pipeline: Sendable {
    /// Where the ledger lives (`--db`): every connection below is opened through it.
    let backend: any LedgerBackend
    let options: FileIngest.Options
    let sinks: [Sink]
    let reportSources: [ReportSourceSpec]
    let retryPolicy: RetryPolicy

    init(
        db dbPath: String, settings: Settings, sourceOptions: SourceOptions, alertOptions: AlertOptions,
        following: Bool, batchLines: Int? = nil
    ) throws {
        var options = try makeIngestOptions(settings, sourceOptions)
        options.following = following
        if let n = batchLines {
            guard n > 0 else { throw Failure("--batch-lines \(n): must be a positive number of lines") }
            options.batchLines = n
        }
        sinks = try alertOptions.sinks(settings)
        reportSources = try alertOptions.reportSources(settings)
        retryPolicy = try alertOptions.retryPolicy(settings)
        options.alerting = try alertOptions.alerting(settings, sinks: sinks)
        self.options = options
        backend = try LedgerBackends.open(dbPath, instance: try sourceOptions.instance(settings))
    }

    /// The ledger's only writer in this process: every source, report and stall mark commits through
    /// it. Opening it takes the ledger's lock (one writing process per ledger).
    func makeWriter() throws -> LedgerWriter {
        LedgerWriter(store: try backend.openWriter(), options: options)
    }

    /// A connection of its own for a thread that only reads (a report poller, the stall watch).
    func openReader() throws -> any LedgerQueries { try backend.openReader() }

    /// The outbox's deliverer, on a connection of its own (it records attempts, not facts).
    func makeNotifier(publicURL: String) throws -> Notifier {
        Notifier(ledger: try backend.openOutbox(), sinks: sinks, publicURL: publicURL, policy: retryPolicy)
    }
}
