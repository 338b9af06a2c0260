import ArgumentParser
import Foundation
import RunLedgerCore
import RunLedgerHTTP
import RunLedgerNotify
import RunLedgerStore

struct Alerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The outbox: alerts and their deliveries (list), or a test message to a sink (test).",
        subcommands: [List.self, Test.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List alert deliveries, newest first.")

        @Option(name: .long, help: "The ledger to read (an SQLite path, or postgresql://…).")
        var db: String

        @Option(name: .long, help: "Only deliveries in this state: pending, sent or failed.")
        var state: String?

        @Flag(name: .long, help: "One JSON array.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                var filter: Delivery.State?
                if let state {
                    guard let s = Delivery.State(rawValue: state) else {
                        throw Failure("--state \(state): must be pending, sent or failed")
                    }
                    filter = s
                }
                let deliveries = try LedgerBackends.open(db).openReader().allDeliveries(state: filter, limit: 1000)
                if json {
                    var w = JSONWriter(pretty: true)
                    w.beginArray()
                    for d in deliveries {
                        w.beginObject()
                        w.key("run_id"); w.string(d.alert.runId)
                        w.key("kind"); w.string(d.alert.kind.rawValue)
                        w.key("sink"); w.string(d.sink)
                        w.key("state"); w.string(d.state.rawValue)
                        w.key("attempts"); w.int(Int64(d.attempts))
                        w.key("last_error"); w.string(d.lastError)
                        w.key("summary"); w.string(d.alert.summary)
                        w.endObject()
                    }
                    w.endArray()
                    print(w.text)
                } else {
                    for d in deliveries {
                        print(
                            "\(d.state.rawValue)\t\(d.sink)\t\(d.alert.kind.rawValue)\t\(d.alert.runId)\t\(d.attempts) attempts"
                                + (d.lastError.map { "\t\($0)" } ?? ""))
                    }
                    print("\(deliveries.count) deliveries")
                }
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a test alert once to the sink named by --sink (default: every sink), ignoring its filters.")

        @OptionGroup var alertOptions: AlertOptions

        @Option(name: .long, help: "Configuration file (JSON), for its webhooks.")
        var config: String?

        @Option(
            name: .long, help: "The sink to test, by name (see `runledger alerts`): slack, generic-2, or a config name."
        )
        var sink: String?

        func run() async throws {
            try await reportingFailures {
                let settings = try config.map(Settings.load) ?? Settings()
                var sinks = try alertOptions.sinks(settings)
                guard !sinks.isEmpty else {
                    throw Failure("alerts test needs a sink: --webhook KIND=URL or \"webhooks\" in --config")
                }
                if let sink {
                    guard let chosen = sinks.first(where: { $0.name == sink }) else {
                        throw Failure(
                            "--sink \(sink): no such sink (configured: \(sinks.map(\.name).joined(separator: ", ")))")
                    }
                    sinks = [chosen]
                }
                let alert = Alert(
                    kind: .falseFailure, runId: "test-run", workflow: "test", status: "failed", costNano: 0, turns: 1,
                    tools: 1, totalTokens: 0, mismatch: [:], budgetNano: nil,
                    raisedAtMs: Int64(Date().timeIntervalSince1970 * 1000))
                let client = CurlClient()
                var failed = false
                for sink in sinks {
                    let body = Payload.body(
                        for: sink.kind, alert, runURL: alertOptions.link(settings) + "/api/runs/test-run",
                        externalURL: alertOptions.link(settings))
                    do {
                        let r = try client.post(
                            sink.url, body: Array(body.utf8), headers: ["Content-Type: application/json"],
                            timeoutMs: 10_000)
                        print("\(sink.name): HTTP \(r.status)")
                        failed = failed || !(200..<300).contains(r.status)
                    } catch {
                        print("\(sink.name): \(error)")
                        failed = true
                    }
                }
                if failed { throw ExitCode(1) }
            }
        }
    }
}
