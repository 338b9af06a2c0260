import Foundation

/// The alerts the sample must raise, as `Idempotency-Key`s (`RUN/KIND`), derived from truth.json: one
/// `false_failure` per false failure, one `reporting_mismatch` per run with a mismatch in the log's
/// reports (or, with the executor's database, in its reports too).
func expectedAlertKeys(executorDB: Bool) throws -> Set<String> {
    let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Paths.truth)))
    let runs = (truth as? [String: Any])?["runs"] as? [String: [String: Any]] ?? [:]
    var keys: Set<String> = []
    for (id, run) in runs {
        if run["false_failure"] as? Bool == true { keys.insert("\(id)/false_failure") }
        let log = run["mismatch_log"] as? [String] ?? []
        let db = executorDB ? run["mismatch_db"] as? [String] ?? [] : []
        if !log.isEmpty || !db.isEmpty { keys.insert("\(id)/reporting_mismatch") }
    }
    return keys
}

/// `runledger alerts --db PATH --json [--state S]`, one dictionary per delivery.
func outbox(_ db: String, state: String? = nil) throws -> [[String: Any]] {
    let r = try run(Paths.binary, ["alerts", "--db", db, "--json"] + (state.map { ["--state", $0] } ?? []))
    return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]) ?? []
}

/// A delivery's key as the receiver sees it in `Idempotency-Key`.
func outboxKey(_ d: [String: Any]) -> String { "\(d["run_id"] as? String ?? "")/\(d["kind"] as? String ?? "")" }

/// `runledger_alerts_total{outcome="sent"}` summed over sinks and kinds, from `runledger metrics`.
func sentAlertCount(_ db: String) throws -> Double {
    samples(try run(Paths.binary, ["metrics", "--db", db]).stdout).filter {
        $0.key.hasPrefix("runledger_alerts_total{") && $0.key.contains("outcome=\"sent\"")
    }.values.reduce(0, +)
}
