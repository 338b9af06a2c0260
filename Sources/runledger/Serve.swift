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
            var sources = options.sources.isEmpty ? settings.sources : options.sources
            if stdin, !sources.contains("-") { sources.append("-") }
            let journal = try options.journal(settings)
            guard !sources.isEmpty || journal != nil else {
                throw Failure("serve needs a log file or a journal to follow (or \"sources\" in the config file)")
            }
            var ingestOptions = try makeIngestOptions(settings, utcOffset: options.utcOffset)
            ingestOptions.following = true
            let sinks = try alertOptions.sinks(settings)
            ingestOptions.alerting = try alertOptions.alerting(settings, sinks: sinks)
            let ledger = try openLedger(dbPath)
            let follower = Follower(
                patterns: sources, journals: journal.map { [$0] } ?? [],
                journalStart: try options.start(settings, default: .end), ledger: ledger, options: ingestOptions)
            let metrics = LiveMetrics(
                rollups: try ledger.rollups(), workflows: Profile.automagik.knownWorkflows + settings.workflows,
                sources: follower.sourceNames, version: RunLedgerCommand.version)
            let board = SourceBoard(sources: follower.sourceNames)
            var logger = Logger(label: "runledger")
            logger.logLevel = .info
            let ingest = IngestService(follower: follower, metrics: metrics, board: board, logger: logger)
            let state = ServerState(
                metrics: metrics, ledger: LedgerReader(path: dbPath), sources: board, version: RunLedgerCommand.version)
            let app = Application(
                router: HTTPServer.router(state),
                configuration: .init(address: .hostname(host, port: port), serverName: "runledger"),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? port
                    printError(
                        "runledger: serving http://\(host):\(port)/ (ledger \(dbPath); following \(follower.sourceNames.joined(separator: ", ")))"
                    )
                },
                logger: logger)
            var services: [any Service] = [app, ingest]
            if let executorDB = alertOptions.executorDatabase(settings) {
                let poller = try ReportPoller(
                    executorDatabase: executorDB, ledger: try openLedger(dbPath), options: ingestOptions)
                services.append(ReportService(poller: poller, metrics: metrics, logger: logger))
            }
            if !sinks.isEmpty {
                let notifier = Notifier(
                    ledger: try openLedger(dbPath), sinks: sinks,
                    publicURL: alertOptions.link(settings, listen: "\(host):\(port)"))
                services.append(NotifyService(notifier: notifier, metrics: metrics, logger: logger))
            }
            let group = ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}

/// Runs the follower on a dedicated thread (file reads, journal waits and SQLite commits block),
/// applying each commit's change to the live metrics. Stops at graceful shutdown after its current pass.
final class IngestService: Service, @unchecked Sendable {
    private let follower: Follower
    private let metrics: LiveMetrics
    private let board: SourceBoard
    private let logger: Logger
    private let lock = NSLock()
    private var stopRequested = false
    private var finished = false

    init(follower: Follower, metrics: LiveMetrics, board: SourceBoard, logger: Logger) {
        self.follower = follower
        self.metrics = metrics
        self.board = board
        self.logger = logger
    }

    func run() async throws {
        let thread = Thread { [self] in
            follower.run(until: { lock.withLock { stopRequested } }, publish)
            lock.withLock { finished = true }
        }
        thread.name = "runledger-ingest"
        thread.start()
        try? await gracefulShutdown()
        lock.withLock { stopRequested = true }
        while !lock.withLock({ finished }) { try? await Task.sleep(for: .milliseconds(10)) }
    }

    private func publish(_ u: SourceUpdate) {
        metrics.apply(u.changes)
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

/// Delivers alerts on a dedicated thread (libcurl calls block), applying each attempt to the metrics.
final class NotifyService: Service, @unchecked Sendable {
    private let notifier: Notifier
    private let lock = NSLock()
    private var stopRequested = false
    private var finished = false

    init(notifier: Notifier, metrics: LiveMetrics, logger: Logger) {
        self.notifier = notifier
        notifier.onChange = { delta, line in
            metrics.apply(delta)
            if !line.isEmpty { logger.info("\(line)") }
        }
        notifier.onPending = { metrics.setOutboxPending($0) }
    }

    func run() async throws {
        let thread = Thread { [self] in
            notifier.run(until: { lock.withLock { stopRequested } })
            lock.withLock { finished = true }
        }
        thread.name = "runledger-notify"
        thread.start()
        try? await gracefulShutdown()
        lock.withLock { stopRequested = true }
        while !lock.withLock({ finished }) { try? await Task.sleep(for: .milliseconds(10)) }
    }
}

/// Polls the executor's database every few seconds on a dedicated thread (SQLite calls block).
/// A missing, locked or foreign database is logged once per cause and tried again.
final class ReportService: Service, @unchecked Sendable {
    private let poller: ReportPoller
    private let metrics: LiveMetrics
    private let logger: Logger
    private let lock = NSLock()
    private var stopRequested = false
    private var finished = false

    init(poller: ReportPoller, metrics: LiveMetrics, logger: Logger) {
        self.poller = poller
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        let thread = Thread { [self] in
            var lastError = ""
            while !lock.withLock({ stopRequested }) {
                do {
                    metrics.apply(try poller.pollOnce())
                    lastError = ""
                } catch {
                    if "\(error)" != lastError { logger.warning("\(error); trying again") }
                    lastError = "\(error)"
                }
                for _ in 0..<50 where !lock.withLock({ stopRequested }) { usleep(100_000) }
            }
            lock.withLock { finished = true }
        }
        thread.name = "runledger-reports"
        thread.start()
        try? await gracefulShutdown()
        lock.withLock { stopRequested = true }
        while !lock.withLock({ finished }) { try? await Task.sleep(for: .milliseconds(10)) }
    }
}
