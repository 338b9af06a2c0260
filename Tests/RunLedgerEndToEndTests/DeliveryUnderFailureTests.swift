import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Exactly-once delivery under failure, with the real binary, libcurl and a receiver on 127.0.0.1:
/// a receiver that is down and then rate-limits, a Slack sink beside a slow one, and (in
/// DeliveryKillTests.swift) `kill -9` while requests are in flight.
@Suite(.serialized) struct DeliveryUnderFailureTests {
    /// The sample with the executor's database: 14 mismatched runs and 4 false failures (truth.json).
    static let sample = ["--utc-offset=-03:00", "--executor-db", Paths.executorDB, Paths.sampleLog]

    @Test func slackGetsAtMostOneMessageASecondBesideASlowSink() throws {
        // Before: the limit was measured from the start of a pass, so after a pass that spent 1.2 s on a
        // slow sink, the next pass sent to Slack 0.1 s after its previous message.
        let dir = TempDir()
        let receiver = try Receiver(dir: dir, plan: #"{"/generic": ["slow:1.2", "200:ok"]}"#, seconds: 90)
        defer { receiver.stop() }
        let r = try runledger(
            "replay", "--db", dir.file("l.db"), "--utc-offset=-03:00", "--webhook",
            "generic=\(receiver.url("/generic"))", "--webhook", "slack=\(receiver.url("/slack"))", "--deliver-for",
            "60", Paths.sampleLog)
        #expect(r.status == 0, "\(r.stderr)")
        let expected = try expectedAlertKeys(executorDB: false)
        let times = receiver.requests("/slack").compactMap { $0["t"] as? Double }
        #expect(Set(receiver.requests("/slack").filter(wasAccepted).map(idempotencyKey)) == expected)
        #expect(times.count == expected.count)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        // At least 1 s apart as runledger measures; the receiver's stamps may shift by its own delays.
        #expect((gaps.min() ?? 0) >= 0.9, "\(gaps.map { String(format: "%.2f", $0) })")
    }
}
