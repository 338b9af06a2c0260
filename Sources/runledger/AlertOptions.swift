import ArgumentParser
import Foundation
import RunLedgerCore
import RunLedgerIngest
import RunLedgerNotify
import RunLedgerReports
import RunLedgerStore

/// Where alerts go and what raises them; shared by `serve` and `replay`.
struct AlertOptions: ParsableArguments {
    @Option(
        name: .customLong("webhook"),
        help: "KIND=URL (repeatable): slack, discord, teams, generic or alertmanager; URL may be env:NAME or file:PATH."
    )
    var webhooks: [String] = []

    @Option(name: .customLong("cost-budget"), help: "Raise cost_budget for a run that costs more than this many USD.")
    var costBudget: Double?

    @Option(name: .customLong("public-url"), help: "RunLedger's address as people reach it, for links in alerts.")
    var publicURL: String?

    @Option(
        name: .customLong("executor-db"),
        help:
            "The executor's database (workflow_runs), read-only: a SQLite path or a PostgreSQL URI (postgresql://user@host/db); its reports reveal mismatches too."
    )
    var executorDB: String?

    @Option(
        name: .customLong("stall-after"),
        help: "Raise stalled_run for a run that logs nothing for this many minutes without ending (default 30; 0: off)."
    )
    var stallAfter: Double?

    @Option(
        name: .customLong("retry-max-delay"),
        help:
            "Longest wait in seconds between retries of a failing delivery (default 60): an alert arrives at most about this long after its sink recovers."
    )
    var retryMaxDelay: Double?

    func retryPolicy(_ settings: Settings) throws -> RetryPolicy {
        var policy = RetryPolicy()
        if let s = retryMaxDelay ?? settings.retryMaxDelaySeconds {
            guard s >= 1, s <= 3600 else { throw Failure("--retry-max-delay \(s): must be 1 to 3600 seconds") }
            policy.maxDelayMs = Int64(s * 1000)
        }
        return policy
    }

    @Option(
        name: .customLong("status-api"),
        help: "The executor's base URL (http://127.0.0.1:8881): its status API's reports reveal mismatches too.")
    var statusAPI: String?

    @Option(name: .customLong("status-api-key"), help: "The status API's key: the key itself, env:NAME or file:PATH.")
    var statusAPIKey: String?

    @Option(name: .customLong("status-api-header"), help: "The header that carries the key (default X-API-Key).")
    var statusAPIHeader: String?

    /// Where the executor's own reports are read, besides its log: its database and its status API.
    /// Each is checked here (`StatusAPI.check`), so a bad one stops the command before anything is read.
    func reportSources(_ settings: Settings) throws -> [ReportSourceSpec] {
        var out: [ReportSourceSpec] = []
        if let location = try executorDatabase(settings) { out.append(.database(location)) }
        if let api = try statusAPISettings(settings) {
            let config = "\(settings.file ?? "config"): \"status_api"
            let options = try api.options(
                keyOrigin: statusAPIKey != nil ? "--status-api-key" : config + ".api_key\"",
                environment: ProcessInfo.processInfo.environment)
            do {
                try StatusAPI.check(options)
                out.append(.statusAPI(options))
            } catch let e as StatusAPI.ConfigError {
                throw Failure("\(statusAPI != nil ? "--status-api" : config + "\""): \(e)")
            }
        }
        return out
    }

    /// `--executor-db` or else the config file's `executor_db`, validated (a malformed connection
    /// string stops the command before anything is read).
    func executorDatabase(_ settings: Settings) throws -> ExecutorDatabaseLocation? {
        guard let value = executorDB ?? settings.executorDB else { return nil }
        let origin = executorDB != nil ? "--executor-db" : "\(settings.file ?? "config"): \"executor_db\""
        do { return try ExecutorDatabaseLocation(value) } catch { throw Failure("\(origin): \(error)") }
    }

    /// The flags over the config file's `status_api`; nil when neither names a URL.
    func statusAPISettings(_ settings: Settings) throws -> StatusAPISettings? {
        guard let url = statusAPI ?? settings.statusAPI?.url else {
            if statusAPIKey != nil || statusAPIHeader != nil {
                throw Failure("--status-api-key and --status-api-header need --status-api URL")
            }
            return nil
        }
        return StatusAPISettings(
            url: url, apiKey: statusAPIKey ?? settings.statusAPI?.apiKey,
            header: statusAPIHeader ?? settings.statusAPI?.header)
    }

    /// The sinks of `--webhook` (unfiltered), or else of the config file's `webhooks`.
    func sinks(_ settings: Settings) throws -> [Sink] {
        let entries = webhooks.isEmpty ? settings.webhooks : webhooks.map { WebhookSetting(spec: $0) }
        var sinks: [Sink] = []
        do {
            for (i, entry) in entries.enumerated() {
                let kind = entry.spec.split(separator: "=").first.map(String.init) ?? ""
                let index = entries[..<i].filter { $0.spec.hasPrefix(kind + "=") }.count
                var sink = try Sink.parse(entry.spec, index: index, environment: ProcessInfo.processInfo.environment)
                sink.name = entry.name ?? sink.name
                sink.kinds = entry.kinds
                sink.workflows = entry.workflows
                guard !sinks.contains(where: { $0.name == sink.name }) else {
                    throw Failure("webhooks: two sinks are named \"\(sink.name)\"; give each a distinct \"name\"")
                }
                sinks.append(sink)
            }
        } catch let e as SinkError {
            throw Failure(e.description)
        }
        return sinks
    }

    func alerting(_ settings: Settings, sinks: [Sink]) throws -> Alerting {
        let budget = costBudget ?? settings.costBudgetUSD
        if let b = budget, !(b > 0) { throw Failure("--cost-budget \(b): must be a positive number of USD") }
        let stall = stallAfter ?? settings.stallAfterMinutes ?? 30
        guard stall >= 0, stall.isFinite else { throw Failure("--stall-after \(stall): must be minutes (0: off)") }
        return Alerting(
            detector: AlertDetector(budgetNano: budget.map { Int64($0 * 1e9) }), routes: sinks.map(\.route),
            stall: stall > 0 ? StallDetector(afterMs: Int64(stall * 60_000)) : nil)
    }

    func link(_ settings: Settings, listen: String? = nil) -> String {
        publicURL ?? settings.publicURL ?? "http://\(listen ?? "127.0.0.1:9477")"
    }
}
