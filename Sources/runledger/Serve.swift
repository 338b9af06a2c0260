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
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow the sources, keep the ledger, serve HTTP (until SIGTERM or SIGINT).")

    @Option(name: .long, help: "The ledger: an SQLite path (default ./data/runledger.db) or postgresql://….")
    var db: String?

    @Option(
        name: [.customLong("web.listen-address"), .customLong("listen")],
        help: "HOST:PORT to serve on; default 127.0.0.1:9477 (port 0 picks a free port). --listen is the same.")
    var listen: String?

    @Option(name: .customLong("web.telemetry-path"), help: "Where the metrics are served; default /metrics.")
    var telemetryPath: String?

    @Option(
        name: .customLong("web.config.file"),
        help: "The exporter-toolkit web config (YAML): TLS, basic auth, response headers (docs/web-config.md).")
    var webConfigFile: String?

    @Option(
        name: .long,
        help: "HTTP connections held open at once (default 512); beyond it the longest-idle one is closed.")
    var maxConnections: Int?

    @Flag(name: .long, help: "Also read log lines from standard input (the same as the source -).")
    var stdin = false

    @OptionGroup var options: SourceOptions

    @OptionGroup var alertOptions: AlertOptions

    @OptionGroup var logOptions: LogOptions

    func run() async throws {
        // Before the first logger is made: every event from here on is one line in the chosen format.
        LineLogHandler.bootstrap(format: logOptions.format ?? .logfmt, level: logOptions.level?.level ?? .info)
        try await reportingFailures {
            // First: from here on a SIGHUP reloads (the default action would end serve, exit 129).
            let hangups = await UnixSignalsSequence(trapping: .sighup)
            let settings = try options.settings()
            let dbPath = db ?? settings.db ?? "./data/runledger.db"
            let (host, port) = try Settings.parseListen(
                listen ?? settings.listen ?? "127.0.0.1:9477", origin: "--listen")
            let metricsPath = try HTTPServer.checkTelemetryPath(telemetryPath ?? "/metrics")
            // Read and checked (certificates, key, hashes) before anything else opens: a mistake is the whole answer.
            let web = try await WebServing.load(webConfigFile ?? settings.webConfigFile)
            // Before the ledger or a source is opened: a port in use is the whole answer.
            try await ListenAddress.checkFree(host: host, port: port)
            let connectionCap = maxConnections ?? ConnectionLimits.defaultMaxConnections
            guard connectionCap >= 1 else { throw Failure("--max-connections \(connectionCap): must be 1 or more") }
            var config = try runningConfig(listenAddress: "\(host):\(port)")
            config.snapshot.values["web_config"] = web.fingerprint
            let pipeline = try Pipeline(
                db: dbPath, settings: settings, sourceOptions: options, alertOptions: alertOptions, following: true)
            config.alerting.clock = pipeline.options.alerting.clock
            LogLevel.set(config.logLevel)
            let zoneName = pipeline.options.envelopes.zone.name
            // Opened here, not on its thread: a ledger another process writes is refused before HTTP listens.
            let writer = try pipeline.makeWriter()
            let inbox = writer.inbox
            let follower = Follower(
                patterns: config.sources, journals: config.journal.map { [$0] } ?? [],
                journalStart: config.journalStart, writer: writer, options: pipeline.options)
            let sourceNames = follower.sourceNames
            let sourceChanges = follower.changes
            let metrics = LiveMetrics(
                rollups: try writer.store.rollups(),
                workflows: settings.resolvedProfile.knownWorkflows + settings.workflows,
                sources: sourceNames, sinks: pipeline.sinks.map(\.route), build: .current)
            // Each commit's change, told after its transaction: the live metrics add up what the ledger holds.
            writer.observe { metrics.apply($0.changes) }
            let board = SourceBoard(sources: sourceNames)
            let logger = Logger(label: "runledger")
            // Said once each way: a ledger whose server went away, and its return.
            let ledgerHealth = LedgerHealth()
            writer.store.observeAvailability { availability in
                ledgerHealth.set(availability)
                metrics.setLedgerUp(availability == .up)
                switch availability {
                case .down(let why): logger.error("ledger unavailable: \(why); commits wait and are tried again")
                case .up: logger.info("ledger available again; reading on from the saved positions")
                }
            }
            if let warning = web.warning(host: host) { logger.warning("\(warning)") }
            let publisher = SourcePublisher(metrics: metrics, board: board, logger: logger)
            // File reads, journal waits, libcurl and SQLite block: each loop gets a thread of its own.
            // The ingest thread is the writer's: it also folds what the pollers and the stall watch hand it.
            // The writer and the follower are handed to it (`sending`): nothing here touches them after.
            let systemd = ServiceManagerNotifier()
            let ingest = ThreadService(name: "runledger-ingest") { stop in
                follower.run(
                    until: stop, publisher.publish, outsideFailure: { logger.warning("\($0); asked for again") },
                    heartbeat: systemd.followerBeat)
            }
            let state = ServerState(
                metrics: metrics, ledger: LedgerReader(backend: pipeline.backend), sources: board,
                version: RunLedgerCommand.version, telemetryPath: metricsPath, processStats: ProcessMetrics.read,
                ledgerHealth: ledgerHealth)
            // Timeouts and a connection cap: half-open and slowloris clients once held ~21,000 file
            // descriptors and /healthz timed out behind them.
            let gate = ConnectionGate(limits: ConnectionLimits(maxConnections: connectionCap))
            let app = Application(
                router: HTTPServer.router(state, in: web.middleware()),
                server: try web.server(
                    .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuardHandler(gate: gate)]))),
                configuration: .init(address: .hostname(host, port: port), serverName: "runledger"),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? port
                    // The zone is said: by default it is this machine's, which an operator may not expect.
                    logger.info(
                        "serving \(web.scheme)://\(host):\(port)/ (ledger \(dbPath); following \(sourceNames.joined(separator: ", ")); executor times in \(zoneName))"
                    )
                    systemd.httpListening()
                },
                logger: logger)
            var services: [any Service] = [app, ingest]
            // Each report source polls on a thread of its own: a slow status API never holds up the
            // database's reports, and neither holds up the logs. Each loop opens what it uses (a source,
            // a read-only connection) on its own thread, and hands what it finds to the writer's inbox.
            for spec in pipeline.reportSources {
                metrics.addReportSource(spec.name)
                services.append(
                    ThreadService(name: "runledger-reports-\(spec.name)") { stop in
                        let poller = ReportPoller(source: try spec.open(), reader: try pipeline.openReader())
                        poller.run(until: stop, every: 5, into: inbox) { problem, problemIsNew in
                            guard let problem else { return }
                            metrics.countReportError(spec.name)
                            if problemIsNew { logger.warning("\(problem); trying again") }
                        }
                    })
            }
            // Both run even when off (no threshold, no sink): a reload may turn them on.
            let stallThresholds = Handoff<StallDetector?>()
            let notifierChanges = Handoff<RunningConfig>()
            services.append(
                ThreadService(name: "runledger-stalls") { stop in
                    let watch = try StallWatch(
                        reader: try pipeline.openReader(), options: pipeline.options, thresholds: stallThresholds)
                    watch.run(until: stop, every: 5, into: inbox) { problem in
                        if let problem { logger.warning("stall check: \(problem); trying again") }
                    }
                })
            let publicURL = config.publicURL
            services.append(
                ThreadService(name: "runledger-notify") { stop in
                    let notifier = try pipeline.makeNotifier(publicURL: publicURL)
                    notifier.onChange = { delta, line in
                        metrics.apply(delta)
                        if !line.isEmpty { logger.info("\(line)") }
                    }
                    notifier.onPending = { metrics.setOutboxPending($0) }
                    notifier.run(until: stop) {
                        guard let c = notifierChanges.take() else { return }
                        notifier.reconfigure(sinks: c.sinks, publicURL: c.publicURL, policy: c.retryPolicy)
                    }
                })
            let reloader = ConfigReloader(
                running: config, file: options.config, registry: metrics.registry,
                load: { [self] in
                    var next = try runningConfig(listenAddress: "\(host):\(port)")
                    // Certificates renewed, users or headers changed: taken with the rest, or refused with it.
                    next.web = try web.reread()
                    if let loaded = next.web { next.snapshot.values["web_config"] = loaded.fingerprint }
                    return next
                },
                apply: { next, plan in
                    systemd.reload {
                        LogLevel.set(next.logLevel)
                        if let loaded = next.web { web.activate(loaded) }
                        let touched = Set(plan.addedSinks + plan.changedSinks)
                        metrics.exportAtZero(sinks: next.sinks.filter { touched.contains($0.name) }.map(\.route))
                        let change = sourceChanges.put(next.sourceChange)
                        inbox.wake()
                        stallThresholds.put(next.alerting.stall)
                        notifierChanges.put(next)
                        // Said done once the follower reads with it (between two passes): lines written
                        // after "reloaded" raise alerts to the new sinks. A pass held up (a ledger outage)
                        // takes it later.
                        _ = sourceChanges.waitTaken(change, within: 10)
                    }
                })
            services.append(ReloadService(signals: hangups, reloader: reloader))
            let group = ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}

/// Applies what the follower reports about each source (not its commits: the writer tells those) to
/// the live metrics, the board and the log.
struct SourcePublisher {
    let metrics: LiveMetrics
    let board: SourceBoard
    let logger: Logger

    func publish(_ u: SourceUpdate) {
        switch u.membership {
        case .added?: metrics.exportAtZero(sources: [u.source])
        case .removed?:
            metrics.removeSource(u.source)
            board.remove(u.source)
            for notice in u.notices { logger.notice("\(notice)") }
            return
        case nil: break
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
