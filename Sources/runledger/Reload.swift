import Foundation
import Logging
import Prometheus
import RunLedgerCore
import RunLedgerIngest
import RunLedgerNotify
import RunLedgerServer
import RunLedgerSources
import ServiceLifecycle
import Synchronization
import UnixSignals

/// What a running `serve` takes from its configuration and may take again on SIGHUP, worked out from
/// the config file and the flags the same way at start and at each reload: a flag still overrides the
/// file after a reload.
struct RunningConfig: Sendable {
    var sources: [String]
    var journal: JournalSelection?
    var journalStart: JournalIngest.Start
    var sinks: [Sink]
    var alerting: Alerting
    var retryPolicy: RetryPolicy
    var publicURL: String
    var logLevel: Logger.Level
    /// The web config file read again (a reload's; nil at start and without a file).
    var web: WebServing.Loaded?
    /// Everything above, and the settings that do not reload, as a reload compares them.
    var snapshot: ConfigSnapshot

    var sourceChange: SourceChange {
        SourceChange(
            patterns: sources, journals: journal.map { [$0] } ?? [], journalStart: journalStart, alerting: alerting)
    }
}

extension Serve {
    /// Reads and checks the configuration (the file named by `--config`, under the flags). Pure but
    /// for reading the file and the environment (`env:` secrets): nothing running changes here.
    func runningConfig(listenAddress: String) throws -> RunningConfig {
        let settings = try options.settings()
        var sources = options.sources.isEmpty ? settings.sources : options.sources
        if stdin, !sources.contains("-") { sources.append("-") }
        let journal = try options.journal(settings)
        guard !sources.isEmpty || journal != nil else {
            throw Failure("serve needs a log file or a journal to follow (or \"sources\" in the config file)")
        }
        let sinks = try alertOptions.sinks(settings)
        // Checked though they do not reload: a config that cannot start is refused, not half taken.
        _ = try alertOptions.reportSources(settings)
        _ = try Settings.executorZone(settings, options)
        // --log.level wins over the file, as every flag does.
        let levelName = logOptions.level?.name ?? settings.logLevel ?? "info"
        let start = try options.start(settings, default: .end)
        let publicURL = alertOptions.link(settings, listen: listenAddress)
        let budget = alertOptions.costBudget ?? settings.costBudgetUSD
        let stall = alertOptions.stallAfter ?? settings.stallAfterMinutes
        let retry = alertOptions.retryMaxDelay ?? settings.retryMaxDelaySeconds
        let api = try alertOptions.statusAPISettings(settings)
        var values: [String: String?] = [
            "db": db ?? settings.db, "listen": listen ?? settings.listen, "profile": settings.profile,
            "workflows": settings.workflows.joined(separator: "\n"),
            "timezone": options.timezone ?? settings.timezone, "utc_offset": options.utcOffset ?? settings.utcOffset,
            "tool_label_cap": settings.toolLabelCap.map(String.init),
            "workflow_label_cap": settings.workflowLabelCap.map(String.init),
            "read_ahead_lines": (options.readAheadLines ?? settings.readAheadLines).map(String.init),
            "executor_db": alertOptions.executorDB ?? settings.executorDB,
            "status_api": api.map { "\($0.url)\n\($0.apiKey ?? "")\n\($0.header ?? "")" },
            "cost_budget_usd": budget.map { "\($0)" }, "stall_after_minutes": "\(stall ?? 30)",
            "public_url": publicURL, "retry_max_delay_seconds": "\(retry ?? 60)", "log_level": levelName,
            "web_config_file": webConfigFile ?? settings.webConfigFile,
        ]
        if journal != nil { values["journal_start"] = start.rawValue }
        let snapshot = ConfigSnapshot(
            sources: sources + (journal.map { [$0.name] } ?? []),
            sinks: Dictionary(uniqueKeysWithValues: sinks.map { ($0.name, Self.identity(of: $0)) }),
            values: values.compactMapValues { $0 })
        return RunningConfig(
            sources: sources, journal: journal, journalStart: start, sinks: sinks,
            alerting: try alertOptions.alerting(settings, sinks: sinks),
            retryPolicy: try alertOptions.retryPolicy(settings), publicURL: publicURL,
            logLevel: LogLevel.parse(levelName) ?? .info, snapshot: snapshot)
    }

    /// Whatever a sink is made of, so that a change to any of it is a change of that sink.
    private static func identity(of sink: Sink) -> String {
        let kinds = sink.kinds.map { $0.map(\.rawValue).sorted().joined(separator: ",") } ?? "*"
        let workflows = sink.workflows.map { $0.sorted().joined(separator: ",") } ?? "*"
        return [sink.kind.rawValue, sink.url, kinds, workflows, "\(sink.minIntervalMs)"].joined(separator: "\n")
    }
}

/// Reloads the configuration when asked (SIGHUP, `systemctl reload`): reads and checks it, and hands
/// what changed to the threads that use it, each of which takes it between two of its passes. A
/// configuration that does not load is refused with its one-line reason, and the running one stays.
final class ConfigReloader: Sendable {
    private let running: Mutex<RunningConfig>
    private let load: @Sendable () throws -> RunningConfig
    private let apply: @Sendable (_ next: RunningConfig, _ plan: ReloadPlan) -> Void
    private let file: String
    private let successful: Gauge
    private let successTime: Gauge

    init(
        running: RunningConfig, file: String?, registry: PrometheusCollectorRegistry,
        load: @escaping @Sendable () throws -> RunningConfig,
        apply: @escaping @Sendable (_ next: RunningConfig, _ plan: ReloadPlan) -> Void
    ) {
        self.running = Mutex(running)
        self.load = load
        self.apply = apply
        self.file = file ?? "the flags (no --config)"
        successful = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: Metrics.reloadSuccessful.name, unitName: "", helpText: Metrics.reloadSuccessful.help))
        successTime = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: Metrics.reloadSuccessTime.name, unitName: "", helpText: Metrics.reloadSuccessTime.help))
        successful.set(1.0)
        successTime.set(Date().timeIntervalSince1970)
    }

    /// One reload, on the caller's thread (it reads a file). Returns the line it said.
    @discardableResult
    func reload() -> String {
        let line: String
        do {
            var next = try load()
            let plan = running.withLock { current in
                // The log's clock goes on: stall checks keep judging by the time already read.
                next.alerting.clock = current.alerting.clock
                let plan = ReloadPlan(from: current.snapshot, to: next.snapshot)
                current = next
                return plan
            }
            apply(next, plan)
            successful.set(1.0)
            successTime.set(Date().timeIntervalSince1970)
            line = "runledger: reloaded \(file): \(plan.summary)"
            printError(line)
            if let restart = plan.restartNeeded { printError("runledger: \(file): \(restart)") }
        } catch {
            successful.set(0.0)
            line = "runledger: reload refused, the running configuration stays: \(error)"
            printError(line)
        }
        return line
    }
}

/// Waits for SIGHUP and reloads, each time on a thread of its own (reading the config blocks), one
/// reload at a time. The signal's handler is installed before serve starts its services (`signals`
/// is made first), so a SIGHUP once serve listens never falls back to the default action (exit 129).
struct ReloadService: Service {
    let signals: UnixSignalsSequence
    let reloader: ConfigReloader

    func run() async {
        for await _ in signals.cancelOnGracefulShutdown() {
            let reloader = reloader
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    reloader.reload()
                    done.resume()
                }
                thread.name = "runledger-reload"
                thread.start()
            }
        }
    }
}
