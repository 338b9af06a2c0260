import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RunLedgerCore
import RunLedgerNotify
import RunLedgerStore
import ServiceLifecycle
import Synchronization
import Testing

/// The notifier works any backend's outbox alike: the same deliveries are sent, refused for good or
/// retried, each attempt counted once, on the same clock, to a receiver on 127.0.0.1.
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
    func passes(_ backend: any LedgerBackend, dir: String, receiver: WebhookReceiver) throws -> Passes {
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
    func aDeliveryPassEndsAlikeOnEveryBackend(store: StoreKind) async throws {
        let receiver = try await WebhookReceiver.start()
        let dir = TempDir()
        let (expected, got) = try await onThreadOfItsOwn { [path = dir.path] in
            (
                try passes(try StoreKind.sqlite.backend(path + "/reference.db"), dir: path, receiver: receiver),
                try passes(try store.backend(path + "/l.db"), dir: path, receiver: receiver)
            )
        }
        await receiver.stop()
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

/// A webhook receiver on 127.0.0.1 (Hummingbird): `/ok` answers 200, `/refused` 400, `/down` 503; it
/// records each request as `PATH IDEMPOTENCY-KEY`, in arrival order.
final class WebhookReceiver: Sendable {
    let port: Int
    private let shared: Shared
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    var requests: [String] { shared.log.withLock { $0 } }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    private init(port: Int, shared: Shared, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.shared = shared
        self.group = group
        self.task = task
    }

    static func start() async throws -> WebhookReceiver {
        let shared = Shared()
        let router = Router()
        for (path, status) in [
            ("/ok", HTTPResponse.Status.ok), ("/refused", .badRequest), ("/down", .serviceUnavailable),
        ] {
            router.post(RouterPath(path)) { request, _ -> Response in
                let key = request.headers[HTTPField.Name("Idempotency-Key")!] ?? ""
                shared.log.withLock { $0.append("\(path) \(key)") }
                return Response(status: status)
            }
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .error
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in shared.port.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        for _ in 0..<200 {
            if let port = shared.port.withLock({ $0 }) {
                return WebhookReceiver(port: port, shared: shared, group: group, task: task)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        task.cancel()
        throw ReceiverDidNotStart()
    }

    /// Stops once the requests in flight are answered (a cancelled server may not finish its writes).
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    private final class Shared: Sendable {
        let port = Mutex<Int?>(nil)
        let log = Mutex<[String]>([])
    }
}

struct ReceiverDidNotStart: Error, CustomStringConvertible {
    var description: String { "the webhook receiver did not start within 10 s" }
}

/// Runs blocking work (libcurl) on a thread of its own: on Swift's two-thread cooperative pool it would
/// also block the receiver's handlers, which run there, until every request timed out.
func onThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
