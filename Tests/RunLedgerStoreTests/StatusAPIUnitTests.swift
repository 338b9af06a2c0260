import Foundation
import RunLedgerCore
import RunLedgerHTTP
import RunLedgerIngest
import RunLedgerStore
import Testing

/// The status API's JSON read into a `Report`, its URL and key options, and the poller's choice of
/// whom to ask; no network.
@Suite struct StatusAPIUnitTests {
    /// The `EnhancedStatusResponse` example of shared/executor-log-formats.md §5b, trimmed.
    static func body(status: String = "completed", metrics: String? = nil, progress: String? = nil) -> String {
        let m =
            metrics
            ?? #"{"cost_usd": 0.7159, "tokens": {"total": 1099100, "input": 850000}, "tools_used": ["TodoWrite", "LS", "Read", "Bash"]}"#
        let p = progress ?? #"{"turns": 30, "max_turns": 30, "is_running": false}"#
        return
            #"{"run_id": "r1", "status": "\#(status)", "workflow_name": "implement", "progress": \#(p), "metrics": \#(m)}"#
    }

    func parse(_ body: String) throws -> StatusAnswer { try StatusResponse.parse(body, runId: "r1") }

    func unreadable(_ body: String) -> String? {
        do {
            _ = try parse(body)
            return nil
        } catch { return "\(error)" }
    }

    @Test func anEndedRunIsAReportOfItsFields() throws {
        #expect(
            try parse(Self.body())
                == .report(Report(costNano: 715_900_000, totalTokens: 1_099_100, turns: 30, tools: 4)))
        #expect(
            try parse(
                Self.body(
                    status: "failed", metrics: #"{"cost_usd": 0, "tokens": {"total": 0}, "tools_used": []}"#,
                    progress: #"{"turns": 0}"#))
                == .report(Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0)))
    }

    @Test func aRunningRunIsNotAReport() throws {
        #expect(try parse(Self.body(status: "running")) == .notEnded)
        #expect(try parse(Self.body(status: "pending", metrics: "null", progress: "7")) == .notEnded)
    }

    @Test func absentOrNullFieldsAreNotReported() throws {
        let none = Report(costNano: -1, totalTokens: -1, turns: -1, tools: -1)
        #expect(try parse(#"{"run_id": "r1", "status": "completed"}"#) == .report(none))
        #expect(try parse(Self.body(metrics: "null", progress: "null")) == .report(none))
        #expect(
            try parse(
                Self.body(
                    metrics: #"{"cost_usd": null, "tokens": null, "tools_used": null}"#, progress: #"{"turns": null}"#))
                == .report(none))
        #expect(
            try parse(Self.body(metrics: #"{"tokens": {"input": 5}}"#, progress: "{}"))
                == .report(none))
    }

    @Test func aNumberAsAStringIsReadButOtherStringsAreNot() throws {
        #expect(
            try parse(
                Self.body(
                    metrics: #"{"cost_usd": "0.000000", "tokens": {"total": "12"}}"#, progress: #"{"turns": "3"}"#))
                == .report(Report(costNano: 0, totalTokens: 12, turns: 3, tools: -1)))
        #expect(
            unreadable(Self.body(metrics: #"{"cost_usd": "n/a"}"#)) == "metrics.cost_usd is not a non-negative number")
        #expect(unreadable(Self.body(progress: #"{"turns": "many"}"#)) == "progress.turns is not a non-negative number")
        #expect(unreadable(Self.body(progress: #"{"turns": true}"#)) == "progress.turns is not a non-negative number")
        #expect(unreadable(Self.body(progress: #"{"turns": 2.5}"#)) == "progress.turns is not a whole number")
        #expect(unreadable(Self.body(metrics: #"{"cost_usd": -1}"#)) == "metrics.cost_usd is not a non-negative number")
    }

    @Test func wrongShapesAreUnreadableNotReports() throws {
        #expect(unreadable(Self.body(metrics: #"{"tools_used": "Bash"}"#)) == "metrics.tools_used is not a list")
        #expect(unreadable(Self.body(metrics: #"{"tools_used": 3}"#)) == "metrics.tools_used is not a list")
        #expect(unreadable(Self.body(metrics: #"{"tokens": 12}"#)) == "metrics.tokens is not an object")
        #expect(unreadable(Self.body(metrics: "[]")) == "metrics is not an object")
        #expect(unreadable("<html><body>Welcome to nginx!</body></html>") == "answered something that is not JSON")
        #expect(unreadable("[1, 2]") == "answered JSON that is not an object")
        #expect(unreadable(#"{"detail": "x"}"#) == "answered no \"status\"")
        #expect(unreadable(#"{"status": "exploded"}"#) == "answered an unknown status \"exploded\"")
        #expect(unreadable(#"{"run_id": "r2", "status": "completed"}"#) == "answered about another run_id")
    }

    @Test func baseURLsAreNormalisedAndShownWithoutCredentials() throws {
        for url in [
            "http://127.0.0.1:8881", "http://127.0.0.1:8881/", "http://127.0.0.1:8881/api/v1",
            "http://127.0.0.1:8881/api/v1/",
        ] {
            #expect(try StatusAPI.normalise(url).base == "http://127.0.0.1:8881", "\(url)")
        }
        let withUser = try StatusAPI.normalise("https://bot:pw@executor.internal/agents/api/v1")
        #expect(withUser.base == "https://bot:pw@executor.internal/agents")
        #expect(withUser.shown == "https://executor.internal/agents")
        #expect(throws: StatusAPI.ConfigError.self) { try StatusAPI.normalise("127.0.0.1:8881") }
        #expect(throws: StatusAPI.ConfigError.self) { try StatusAPI.normalise("http://x/?key=1") }
    }

    @Test func headerAndKeyAreChecked() throws {
        #expect(throws: StatusAPI.ConfigError.self) {
            try StatusAPI.check(StatusAPI.Options(url: "http://127.0.0.1", header: "X API Key"))
        }
        #expect {
            try StatusAPI.check(StatusAPI.Options(url: "http://127.0.0.1", apiKey: "k\r\nX-Evil: 1"))
        } throws: { !"\($0)".contains("Evil") }
        try StatusAPI.check(StatusAPI.Options(url: "http://127.0.0.1", apiKey: "k", header: "Authorization"))
    }

    @Test func secretsResolveFromTheEnvironmentAFileOrThemselves() throws {
        let dir = TempDir()
        try "s3cret\n".write(toFile: dir.file("key"), atomically: true, encoding: .utf8)
        #expect(try Secret.resolve("env:K", environment: ["K": "v"]) == "v")
        #expect(try Secret.resolve("file:\(dir.file("key"))", environment: [:]) == "s3cret")
        #expect(try Secret.resolve("plain", environment: [:]) == "plain")
        #expect { try Secret.resolve("env:K", environment: [:]) } throws: {
            "\($0)" == "environment variable K is not set"
        }
    }

    /// A source that answers from a table and records whom it was asked about.
    final class FakeSource: ReportSource {
        let name = "api"
        let rereadsReportedRuns = false
        var answers: [String: Report] = [:]
        var asked: [[String]] = []
        func reports(for runIds: [String]) throws -> ReportAnswer {
            asked.append(runIds)
            return ReportAnswer(reports: answers.filter { runIds.contains($0.key) })
        }
    }

    @Test func thePollerAsksOnlyEndedRunsWithoutAReportNewestFirst() throws {
        let dir = TempDir()
        let ledger = try replay(Fixture.sampleLog, into: dir.file("l.db"))
        let ended = try ledger.runs().filter(\.hasEnded)
        #expect(ended.count == 30)
        let source = FakeSource()
        let poller = ReportPoller(source: source, reader: ledger)
        let writer = LedgerWriter(store: ledger, options: utcOptions())
        let first = try #require(ended.first)
        source.answers[first.runId] = Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0)
        let outcome = try poller.pollOnce()
        #expect(outcome.problem == nil)
        #expect(try ledger.run(first.runId)?.reported["api"] == nil, "the poller only reads; the writer writes")
        try writer.apply(outcome.facts)
        let asked = try #require(source.asked.last)
        #expect(Set(asked) == Set(ended.map(\.runId)))
        let endTimes = asked.compactMap { id in ended.first { $0.runId == id }?.endedAtMs }
        #expect(endTimes == endTimes.sorted(by: >))
        let after = try #require(try ledger.run(first.runId))
        #expect(after.reported["api"] == Report(costNano: 0, totalTokens: 0, turns: 0, tools: 0))
        #expect(after.mismatch["api"] == first.mismatchFieldsIfAllZero)

        // An answered run is not asked again.
        try writer.apply(try poller.pollOnce().facts)
        #expect(source.asked.last?.count == 29)
        #expect(source.asked.last?.contains(first.runId) == false)
    }

}

extension RunRecord {
    /// The fields a report of all zeros is a mismatch for: those the ledger has above 0.
    fileprivate var mismatchFieldsIfAllZero: [String]? {
        let fields = [("cost", cost), ("tokens", totalTokens), ("turns", turnCount), ("tools", toolCount)]
            .filter { $0.1 > 0 }.map(\.0).sorted()
        return fields.isEmpty ? nil : fields
    }
}
