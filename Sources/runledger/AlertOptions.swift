import ArgumentParser
import Foundation
import RunLedgerCore
import RunLedgerIngest
import RunLedgerNotify

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
        help: "The executor's SQLite database (workflow_runs), read-only: its reports reveal mismatches too.")
    var executorDB: String?

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

    func executorDatabase(_ settings: Settings) -> String? { executorDB ?? settings.executorDB }

    func sinks(_ settings: Settings) throws -> [Sink] {
        let specs = webhooks.isEmpty ? settings.webhooks : webhooks
        do {
            return try specs.enumerated().map { i, spec in
                let kind = spec.split(separator: "=").first.map(String.init) ?? ""
                let index = specs[..<i].filter { $0.hasPrefix(kind + "=") }.count
                return try Sink.parse(spec, index: index, environment: ProcessInfo.processInfo.environment)
            }
        } catch let e as SinkError {
            throw Failure(e.description)
        }
    }

    func alerting(_ settings: Settings, sinks: [Sink]) throws -> Alerting {
        let budget = costBudget ?? settings.costBudgetUSD
        if let b = budget, !(b > 0) { throw Failure("--cost-budget \(b): must be a positive number of USD") }
        return Alerting(detector: AlertDetector(budgetNano: budget.map { Int64($0 * 1e9) }), sinks: sinks.map(\.name))
    }

    func link(_ settings: Settings, listen: String? = nil) -> String {
        publicURL ?? settings.publicURL ?? "http://\(listen ?? "127.0.0.1:9477")"
    }
}
