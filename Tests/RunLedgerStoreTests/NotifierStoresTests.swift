import Foundation
import RunLedgerCore
import RunLedgerNotify
import RunLedgerStore
import Synchronization
import TestSupport
import Testing

/// The notifier works any backend's outbox alike: the same deliveries are sent, refused for good or
/// retried, each attempt counted once, on the same clock, to a receiver on 127.0.0.1
/// (`tools/webhook-receiver.py`).
@Suite(.tags(.slow)) struct NotifierStoresTests {
    /// What a delivery pass left: each delivery as `runledger alerts` shows it, the attempts' changes of
    /// `runledger_alerts_total`, the pending count after each pass, and the requests the receiver saw.
    struct Passes: Equatable {
        var deliveries: [String] = []
        var changes: [String] = []
        var pending: [Int] = []
        var requests: [String] = []
    }

    /// Two passes, the second after the failing sink's retry time: the `ok` sink takes every alert,
    /// `refused` answers 400 (failed at once), `down` answers 503 (probed once a pass, the rest wait).
    func passes(_ backend: any LedgerBackend, dir: String, receiver: Receiver) throws -> Passes {
        try StoreContent.fill(try backend.openWriter(), in: dir)
        let start: Int64 = 1_750_356_100_000
        let now = Mutex(start)
        let notifier = Notifier(
            ledger: try backend.openOutbox(),
            sinks: StoreContent.sinks.map { Sink(name: $0, kind: .generic, url: receiver.url("/\($0)")) },
            publicURL: "http://runledger.test", clock: { now.withLock { $0 } })
        let changes = Mutex<[String]>([])
        notifier.onChange = { delta, _ in
            changes.withLock { $0 += delta.map { "\($0.key.encoded) \($0.value)" }.sorted() }
        }
        let before = receiver.requests.count
        var out = Passes()
        out.pending.append(try notifier.deliverDue())
        now.withLock { $0 = start + 120_000 }
        out.pending.append(try notifier.deliverDue())
        out.deliveries = try backend.openReader().allDeliveries(state: nil, limit: 1000).map(StoreContent.shown)
        out.changes = changes.withLock { $0 }
        out.requests = Array(receiver.requests.dropFirst(before))
        return out
    }

    @Test(arguments: StoreKind.allCases)
    func aDeliveryPassEndsAlikeOnEveryBackend(store: StoreKind) throws {
        let dir = TempDir()
        let receiver = try Receiver(log: dir.file("requests.jsonl"))
        defer { receiver.tool.stop() }
        let expected = try passes(
            try StoreKind.sqlite.backend(dir.file("reference.db")), dir: dir.path, receiver: receiver)
        let got = try passes(try store.backend(dir.file("l.db")), dir: dir.path, receiver: receiver)
        #expect(got == expected)
        // Alike in what matters: each alert sent to `ok` and refused by `refused`; `down` tried once a pass.
        let alerts = expected.requests.filter { $0.hasPrefix("/ok ") }.count
        #expect(alerts > 10)
        #expect(expected.requests.filter { $0.hasPrefix("/refused ") }.count == alerts)
        #expect(expected.requests.filter { $0.hasPrefix("/down ") }.count == 2)
        #expect(expected.pending == [alerts, alerts])
        #expect(expected.deliveries.filter { $0.contains(" down pending 0 -") }.count == alerts - 1)
        #expect(expected.deliveries.filter { $0.contains(" down pending 2 HTTP 503") }.count == 1)
    }
}

/// The webhook stand-in: `/ok` answers 200 (its default), `/refused` 400, `/down` 503; each request is
/// read back as `PATH IDEMPOTENCY-KEY`, in arrival order.
struct Receiver {
    let tool: PythonTool
    let log: String

    init(log: String) throws {
        self.log = log
        tool = try PythonTool(
            "webhook-receiver.py",
            ["--log", log, "--seconds", "60", "--plan", #"{"/refused": ["400"], "/down": ["503"]}"#])
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(tool.port)\(path)" }

    var requests: [String] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let r = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let path = r["path"] as? String
            else { return nil }
            return "\(path) \((r["headers"] as? [String: String])?["idempotency-key"] ?? "")"
        }
    }
}
