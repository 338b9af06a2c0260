import ArgumentParser
import Foundation
import Hummingbird
import Logging
import RunLedgerCore
import RunLedgerIngest
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

    @OptionGroup var options: SourceOptions

    func run() async throws {
        try await reportingFailures {
            let settings = try options.settings()
            let dbPath = db ?? settings.db ?? "./data/runledger.db"
            let (host, port) = try Settings.parseListen(
                listen ?? settings.listen ?? "127.0.0.1:9477", origin: "--listen")
            let sources = options.sources.isEmpty ? settings.sources : options.sources
            guard !sources.isEmpty else {
                throw Failure("serve needs a log file to follow (or \"sources\" in the config file)")
            }
            let ingestOptions = try makeIngestOptions(settings, utcOffset: options.utcOffset)
            let ledger = try openLedger(dbPath)
            let metrics = LiveMetrics(
                rollups: try ledger.rollups(), workflows: Profile.automagik.knownWorkflows + settings.workflows,
                sources: sources, version: RunLedgerCommand.version)
            let board = SourceBoard(sources: sources)
            var logger = Logger(label: "runledger")
            logger.logLevel = .info
            let ingest = IngestService(
                paths: sources, ledger: ledger, options: ingestOptions, metrics: metrics, board: board, logger: logger)
            let state = ServerState(
                metrics: metrics, ledger: LedgerReader(path: dbPath), sources: board, version: RunLedgerCommand.version)
            let app = Application(
                router: HTTPServer.router(state),
                configuration: .init(address: .hostname(host, port: port), serverName: "runledger"),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? port
                    printError(
                        "runledger: serving http://\(host):\(port)/ (ledger \(dbPath); following \(sources.joined(separator: ", ")))"
                    )
                },
                logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [app, ingest], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}

/// Follows the log files on a dedicated thread (file reads and SQLite commits block), applying each
/// commit's change to the live metrics. Stops at graceful shutdown after its current batch.
final class IngestService: Service, @unchecked Sendable {
    private let paths: [String]
    private let ledger: Ledger
    private let options: FileIngest.Options
    private let metrics: LiveMetrics
    private let board: SourceBoard
    private let logger: Logger
    private let lock = NSLock()
    private var stopRequested = false
    private var finished = false

    init(
        paths: [String], ledger: Ledger, options: FileIngest.Options, metrics: LiveMetrics, board: SourceBoard,
        logger: Logger
    ) {
        self.paths = paths
        self.ledger = ledger
        self.options = options
        self.metrics = metrics
        self.board = board
        self.logger = logger
    }

    func run() async throws {
        let thread = Thread { [self] in
            follow()
            lock.withLock { finished = true }
        }
        thread.name = "runledger-ingest"
        thread.start()
        try? await gracefulShutdown()
        lock.withLock { stopRequested = true }
        while !lock.withLock({ finished }) { try? await Task.sleep(for: .milliseconds(10)) }
    }

    private var shouldStop: Bool { lock.withLock { stopRequested } }

    private func follow() {
        var ingests: [String: FileIngest] = [:]
        var reported: [String: String] = [:]
        while !shouldStop {
            for path in paths {
                do {
                    let ingest: FileIngest
                    if let existing = ingests[path] {
                        ingest = existing
                    } else {
                        ingest = FileIngest(path: path, ledger: ledger, options: options)
                        try ingest.open()
                        ingests[path] = ingest
                    }
                    let changes = ingest.needsReopen() ? try ingest.reopen() : try ingest.readAvailable()
                    metrics.apply(changes)
                    metrics.setSourceUp(path, true)
                    metrics.setSourceLag(path, bytes: ingest.lagBytes)
                    let (offset, lines) = ingest.readPosition
                    board.update(path) {
                        $0.up = true
                        $0.offset = offset
                        $0.lines = lines
                        $0.detail = nil
                        $0.lastProblem = ingest.lastProblem
                    }
                    for notice in ingest.notices where reported[path + notice] == nil {
                        reported[path + notice] = notice
                        logger.notice("\(notice)")
                    }
                    reported[path] = nil
                } catch {
                    ingests[path] = nil
                    metrics.setSourceUp(path, false)
                    board.update(path) {
                        $0.up = false
                        $0.detail = "\(error)"
                    }
                    if reported[path] != "\(error)" {
                        reported[path] = "\(error)"
                        logger.warning("\(error); retrying")
                    }
                }
            }
            usleep(50_000)
        }
    }
}
