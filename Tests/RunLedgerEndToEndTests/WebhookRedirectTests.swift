import Foundation
import TestSupport
import Testing

/// A webhook that answers with a redirect: libcurl must not follow it (the URL is a secret given to
/// one host), and the alert must wait and be retried rather than be lost at once.
@Suite(.serialized, .tags(.slow)) struct WebhookRedirectTests {
    @Test func aRedirectingSinkIsRetriedAndTheRedirectIsNeverFollowed() throws {
        let dir = TempDir()
        let elsewhere = try Receiver(dir: TempDir(), seconds: 30)
        defer { elsewhere.stop() }
        let receiver = try Receiver(
            dir: dir, plan: #"{"/hook": ["302:\#(elsewhere.url("/stolen"))"]}"#, seconds: 30)
        defer { receiver.stop() }
        #expect(receiver.port > 0 && elsewhere.port > 0)
        let r = try runledger(
            "replay", "--db", dir.file("l.db"), "--webhook", "generic=\(receiver.url("/hook"))",
            "--retry-max-delay", "1", "--deliver-for", "4", Paths.sampleLog)
        #expect(r.status == 0, "\(r.stderr)")

        // Probed one request at a time, about once a second (the retry delay capped at 1 s).
        let asked = receiver.requests("/hook")
        #expect(asked.count >= 2 && asked.count <= 8, "\(asked.count) requests")
        #expect(asked.allSatisfy { $0["answer"] as? String == "302:\(elsewhere.url("/stolen"))" })
        // Nothing went where the redirect pointed.
        #expect(elsewhere.requests.isEmpty)

        // Every alert still waits (before: all 17 marked failed after one 302 each).
        #expect(r.stderr.contains("17 alert deliveries still pending"), "\(r.stderr)")
        let pending = try outbox(dir.file("l.db"), state: "pending")
        #expect(pending.count == 17)
        let tried = pending.filter { ($0["attempts"] as? Int ?? 0) > 0 }
        #expect(tried.reduce(0) { $0 + ($1["attempts"] as? Int ?? 0) } == asked.count)
        #expect(tried.allSatisfy { ($0["last_error"] as? String) == "HTTP 302 redirect, not followed" })
        #expect(try outbox(dir.file("l.db"), state: "failed").isEmpty)

        let metrics = samples(try runledger("metrics", "--db", dir.file("l.db")).stdout)
        let retried = metrics.filter {
            $0.key.hasPrefix("runledger_alerts_total{sink=\"generic\"") && $0.key.contains("outcome=\"retried\"")
        }
        #expect(retried.values.reduce(0, +) == Double(asked.count))
        #expect(
            !metrics.contains {
                $0.key.hasPrefix("runledger_alerts_total{") && $0.key.contains("outcome=\"failed\"") && $0.value > 0
            })
        #expect(!r.stderr.contains("127.0.0.1:\(receiver.port)"))  // the webhook URL is never printed
    }
}
