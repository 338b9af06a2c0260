import ArgumentParser
import Foundation
import Hummingbird
import Logging
import RunLedgerCore
import RunLedgerIngest
import RunLedgerNotify
import RunLedgerServer
import RunLedgerStore
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow the sources, keep the ledger, serve HTTP (until SIGTERM or SIGINT).")

    @Option(name: .long, help: "The ledger (SQLite); default ./data/runledger.db.")
    var db: String?

    @Option(name: .long, help: "HOST:PORT to serve on; default 127.0.0.1:9477 (port 0 picks a free port).")
    var listen: String?

    @Option(
        name: .long,
        help: "HTTP connections held open at once (default 512); beyond it the longest-idle one is closed.")
    var maxConnections: Int?

    @Flag(name: .long, help: "Also read log lines from standard input (the same as the source -).")
    var stdin = false

    @OptionGroup var options: SourceOptions

    @OptionGroup var alertOptions: AlertOptions

    func run() async throws {
        try await reportingFailures {
            let settings = try options.settings()
            let dbPath = db ?? settings.db ?? "./data/runledger.db"
            let (host, port) = try Settings.parseListen(
                listen ?? settings.listen ?? "127.0.0.1:9477", origin: "--listen")
            let connectionCap = maxConnections ?? ConnectionLimits.defaultMaxConnections
            guard connectionCap >= 1 else { throw Failure("--max-connections \(connectionCap): must be 1 or more") }
            var sources = options.sources.isEmpty ? settings.sources : options.sources
            if stdin, !sources.contains("-") { sources.append("-") }
            let journal = try options.journal(settings)
            guard !sources.isEmpty || journal != nil else {
                throw Failure("serve needs a log file or a journal to follow (or \"sources\" in the config file)")
            }
            var ingestOptions = try makeIngestOptions(settings, options)
            ingestOptions.following = true
            let zoneName = ingestOptions.envelopes.zone.name
            let sinks = try alertOptions.sinks(settings)
            let reportSources = try alertOptions.reportSources(settings)
            let retryPolicy = try alertOptions.retryPolicy(settings)
            ingestOptions.alerting = try alertOptions.alerting(settings, sinks: sinks)
            let ledger = try openLedger(dbPath)
            let follower = Follower(
                patterns: sources, journals: journal.map { [$0] } ?? [],
                journalStart: try options.start(settings, default: .end), ledger: ledger, options: ingestOptions)
            let metrics = LiveMetrics(
                rollups: try ledger.rollups(), workflows: settings.resolvedProfile.knownWorkflows + settings.workflows,
                sources: follower.sourceNames, sinks: sinks.map(\.route), version: RunLedgerCommand.version)
            let board = SourceBoard(sources: follower.sourceNames)
            var logger = Logger(label: "runledger")
            logger.logLevel = .info
            let publisher = SourcePublisher(metrics: metrics, board: board, logger: logger, ledger: ledger)
            // File reads, journal waits, libcurl and SQLite block: each loop gets a thread of its own.
            let ingest = ThreadService(name: "runledger-ingest") { stop in follower.run(until: stop, publisher.publish)
            }
            let state = ServerState(
                metrics: metrics, ledger: LedgerReader(backend: try LedgerBackends.open(dbPath)), sources: board,
                version: RunLedgerCommand.version)
            // Timeouts and a connection cap: half-open and slowloris clients once held ~21,000 file
            // descriptors and /healthz timed out behind them.
            let gate = ConnectionGate(limits: ConnectionLimits(maxConnections: connectionCap))
            let app = Application(
                router: HTTPServer.router(state),
                server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuardHandler(gate: gate)])),
                configuration: .init(address: .hostname(host, port: port), serverName: "runledger"),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? port
                    // The zone is said: by default it is this machine's, which an operator may not expect.
                    printError(
                        "runledger: serving http://\(host):\(port)/ (ledger \(dbPath); following \(follower.sourceNames.joined(separator: ", ")); executor times in \(zoneName))"
                    )
                },
                logger: logger)
            var services: [any Service] = [app, ingest]
            // Each report source polls on a thread of its own: a slow status API never holds up the
            // database's reports, and neither holds up the logs.
            for source in reportSources {
                let poller = try ReportPoller(source: source, ledger: try openLedger(dbPath), options: ingestOptions)
                metrics.addReportSource(source.name)
                services.append(
                    ThreadService(name: "runledger-reports-\(source.name)") { stop in
                        poller.run(until: stop, every: 5) { outcome, problemIsNew in
                            metrics.apply(outcome.changes)
                            guard let problem = outcome.problem else { return }
                            metrics.countReportError(source.name)
                            if problemIsNew { logger.warning("\(problem); trying again") }
                        }
                    })
            }
            if ingestOptions.alerting.stall != nil {
                let watch = try StallWatch(ledger: try openLedger(dbPath), options: ingestOptions)
                services.append(
                    ThreadService(name: "runledger-stalls") { stop in
                        watch.run(until: stop, every: 5) { changes, problem in
                            metrics.apply(changes)
                            if let problem { logger.warning("stall check: \(problem); trying again") }
                        }
                    })
            }
            if !sinks.isEmpty {
                let notifier = Notifier(
                    ledger: try LedgerBackends.open(dbPath).openOutbox(), sinks: sinks,
                    publicURL: alertOptions.link(settings, listen: "\(host):\(port)"),
                    policy: retryPolicy)
                notifier.onChange = { delta, line in
                    metrics.apply(delta)
                    if !line.isEmpty { logger.info("\(line)") }
                }
                notifier.onPending = { metrics.setOutboxPending($0) }
                services.append(ThreadService(name: "runledger-notify") { stop in notifier.run(until: stop) })
            }
            let group = ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}

/// A blocking loop on a dedicated thread, stopped at graceful shutdown once its current step ends.
/// Swift's cooperative pool has two threads here; blocking C calls must not sit on it.
final class ThreadService: Service, @unchecked Sendable {
    private let name: String
    private let body: (@escaping () -> Bool) -> Void
    private let lock = NSLock()
    private var stopRequested = false
    private var finished = false

    init(name: String, body: @escaping (@escaping () -> Bool) -> Void) {
        self.name = name
        self.body = body
    }

    func run() async throws {
        let thread = Thread { [self] in
            body { self.lock.withLock { self.stopRequested } }
            lock.withLock { finished = true }
        }
        thread.name = name
        thread.start()
        try? await gracefulShutdown()
        lock.withLock { stopRequested = true }
        while !lock.withLock({ finished }) { try? await Task.sleep(for: .milliseconds(10)) }
    }
}

/// Applies what the follower reports about each source to the live metrics, the board and the log.
struct SourcePublisher {
    let metrics: LiveMetrics
    let board: SourceBoard
    let logger: Logger
    /// Read again after a failed commit, on the follower's thread (the ledger's own connection).
    let ledger: any LedgerStore

    func publish(_ u: SourceUpdate) {
        if u.resync, let rollups = try? ledger.rollups() {
            // The ledger is the truth: the live metrics equal it again before the next scrape.
            metrics.reset(rollups: rollups)
        } else {
            metrics.apply(u.changes)
        }
        metrics.setSourceUp(u.source, u.up)
        if u.up { metrics.setSourceLag(u.source, bytes: u.lagBytes) }
        board.update(u.source) {
            $0.up = u.up
            $0.detail = u.detail
            if u.up {
                $0.offset = u.offset
                $0.lines = u.lines
                $0.lastProblem = u.lastProblem
            }
        }
        for notice in u.notices {
            if u.up { logger.notice("\(notice)") } else { logger.warning("\(notice); waiting for it") }
        }
    }
}
