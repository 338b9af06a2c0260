import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Exactly-once delivery under failure, with the real binary, libcurl and a receiver on 127.0.0.1:
/// a receiver that is down and then rate-limits, a Slack sink beside a slow one, and (in
/// DeliveryKillTests.swift) `kill -9` while requests are in flight.
@Suite(.serialized, .tags(.slow)) struct DeliveryUnderFailureTests {
    /// The sample with the executor's database: 14 mismatched runs and 4 false failures (truth.json).
    static let sample = ["--utc-offset=-03:00", "--executor-db", Paths.executorDB, Paths.sampleLog]

    @Test func aReceiverDownFifteenSecondsThenRefusingTwiceGetsEveryAlertOnce() throws {
        let dir = TempDir()
        let db = dir.file("l.db")
        let expected = try expectedAlertKeys(executorDB: true)
        #expect(expected.count == 18)
        let closed = try Receiver(dir: TempDir(), seconds: 1)  // a port where nothing listens, once stopped
        let port = closed.port
        closed.stop()
        let started = Date()
        // --retry-max-delay 10 (the default is 60): recovery within ~12 s of the outage, to fit the test.
        let serve = try ServeProcess(
            args: ["--db", db, "--webhook", "generic=http://127.0.0.1:\(port)/hook", "--retry-max-delay", "10"]
                + Self.sample, dir: dir)
        defer { if serve.process.isRunning { _ = serve.stop() } }
        #expect(serve.port > 0, "\(serve.stderr)")

        // Down for 15 s: every alert raised and waiting; the sink is probed by one request at a time on
        // the backoff schedule (about 1, 3, 7 s; NotifierTests checks the whole schedule on a clock it
        // moves), not by every pending alert each time.
        while Date().timeIntervalSince(started) < 15 { usleep(100_000) }
        let waiting = try outbox(db)
        #expect(Set(waiting.map(outboxKey)) == expected)
        #expect(waiting.allSatisfy { $0["state"] as? String == "pending" })
        let attempts = waiting.compactMap { $0["attempts"] as? Int }
        #expect((attempts.max() ?? 0) >= 3, "\(attempts)")
        #expect((3...10).contains(attempts.reduce(0, +)), "\(attempts)")
        #expect(
            waiting.filter { ($0["attempts"] as? Int ?? 0) > 0 }.allSatisfy {
                ($0["last_error"] as? String ?? "").lowercased().contains("connect")
            })

        // Up, answering 429 with Retry-After: 3 twice, then 200.
        let receiver = try Receiver(
            dir: dir, plan: #"{"/hook": ["429:3", "429:3", "200:ok"]}"#, seconds: 120, port: port)
        let up = Date()
        #expect(receiver.port == port)
        var deliveredAfter: Double?
        while deliveredAfter == nil, Date().timeIntervalSince(up) < 60 {
            if try outbox(db, state: "sent").count == expected.count {
                deliveredAfter = Date().timeIntervalSince(up)
            } else {
                usleep(200_000)
            }
        }
        #expect(serve.stop() == 0)
        let stillPending = try outbox(db, state: "pending").map(outboxKey)
        let seconds = try #require(deliveredAfter, "not all sent; pending: \(stillPending)")
        #expect(seconds < 40)

        // Each alert accepted exactly once; the two refused were sent again and accepted.
        let requests = receiver.requests("/hook")
        let accepted = requests.filter(wasAccepted).map(idempotencyKey)
        #expect(accepted.count == expected.count)
        #expect(Set(accepted) == expected)
        let refused = requests.filter { $0["answer"] as? String == "429:3" }
        #expect(refused.count == 2)
        #expect(requests.count == expected.count + 2)
        // Retry-After honoured for the sink, not only the refused alert: nothing reached it sooner.
        for r in refused {
            let t = r["t"] as? Double ?? 0
            let later = requests.filter { ($0["t"] as? Double ?? 0) > t }
            let next = try #require(later.first)
            #expect((next["t"] as? Double ?? 0) - t >= 2.95, "next request \((next["t"] as? Double ?? 0) - t) s later")
            let again = try #require(later.first { idempotencyKey($0) == idempotencyKey(r) })
            #expect((again["t"] as? Double ?? 0) - t >= 2.95)
        }
        #expect(try sentAlertCount(db) == Double(expected.count))
        print(
            "outage: \(attempts.reduce(0, +)) requests in 15 s down (one probe at a time, \(attempts.max() ?? 0) on one alert); "
                + "\(requests.count) requests after, \(refused.count) refused (429); "
                + "all \(accepted.count) delivered \(String(format: "%.1f", seconds)) s after the receiver came up")
    }

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
