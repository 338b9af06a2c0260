import Foundation
import RunLedgerHTTP
import Testing

@testable import RunLedgerNotify

/// The retry schedule, computed: how late an alert arrives after an outage, and when it is given up.
@Suite struct RetryPolicyTests {
    let refused = Result<HTTPResult, TransportError>.failure(TransportError(description: "Couldn't connect to server"))
    let ok = Result<HTTPResult, TransportError>.success(HTTPResult(status: 200, headers: [:], body: "ok"))

    func tooMany(_ headers: [String: String], body: String = "") -> Result<HTTPResult, TransportError> {
        .success(HTTPResult(status: 429, headers: headers, body: body))
    }

    /// Plays one delivery against a sink that refuses connections for `outageMs` from the first
    /// attempt: when it is delivered (ms after the first attempt), or nil if it was given up.
    func deliveredAt(
        outageMs: Int64, jitter: Double, policy: RetryPolicy = RetryPolicy()
    ) -> (atMs: Int64?, attempts: Int, reason: String?) {
        var now: Int64 = 0
        for attempt in 1...100_000 {
            let result = now < outageMs ? refused : ok
            switch policy.outcome(of: result, attempts: attempt, firstAttemptMs: 0, nowMs: now, jitter: jitter) {
            case .sent: return (now, attempt, nil)
            case .retry(let at, _): now = at
            case .failed(let reason): return (nil, attempt, reason)
            }
        }
        return (nil, 100_000, "never settled")
    }

    @Test func aThirtySecondOutageIsOverWithinAMinuteWhateverTheJitter() {
        // Attempts at 0, 1, 3, 7, 15, 31 s (jitter 1): the sixth is the first after the outage.
        #expect(deliveredAt(outageMs: 30_000, jitter: 1.0).atMs == 31_000)
        #expect(deliveredAt(outageMs: 30_000, jitter: 1.0).attempts == 6)
        for jitter in [0.8, 1.2] {
            let at = deliveredAt(outageMs: 30_000, jitter: jitter).atMs
            #expect(at != nil && at! <= 30_000 + 60_000 * 6 / 5, "jitter \(jitter): \(String(describing: at))")
        }
    }

    @Test func longOutagesAreDeliveredWithinAMinuteOrSoOfTheirEnd() {
        // 12 attempts doubling to 5 min lost alerts after ~19 minutes, and delivered a 10-minute outage
        // 3.5 minutes late; now the delay is capped at 60 s and the bound is 24 h.
        for minutes: Int64 in [10, 20, 60, 23 * 60] {
            for jitter in [0.8, 1.0, 1.2] {
                let outage = minutes * 60_000
                let at = deliveredAt(outageMs: outage, jitter: jitter).atMs
                #expect(at != nil && at! - outage <= 72_000, "\(minutes) min, jitter \(jitter)")
            }
        }
    }

    @Test func aSinkThatKeepsFailingIsMarkedFailedAfterTwentyFourHours() {
        let r = deliveredAt(outageMs: .max, jitter: 1.0)
        #expect(r.atMs == nil)
        #expect(r.reason?.contains("given up after 24 h") == true, "\(r.reason ?? "")")
        // About one attempt a minute for a day, each retry at most 60 s after the last.
        #expect(r.attempts > 1400 && r.attempts < 1460, "\(r.attempts)")
        var shorter = RetryPolicy()
        shorter.maxDelayMs = 10_000
        #expect(deliveredAt(outageMs: 30_000, jitter: 1.2, policy: shorter).atMs! <= 42_000)
    }

    @Test func a429IsHonouredHoweverManyAttemptsCameBefore() {
        // Before: on the 12th attempt a 429 marked the delivery failed although the service only asked
        // to wait a second.
        let p = RetryPolicy()
        #expect(
            p.outcome(of: tooMany(["retry-after": "1"]), attempts: 12, firstAttemptMs: 0, nowMs: 3_600_000)
                == .retry(atMs: 3_601_000, reason: "429"))
        #expect(
            p.outcome(of: tooMany(["retry-after": "7"]), attempts: 500, firstAttemptMs: 0, nowMs: 5_000)
                == .retry(atMs: 12_000, reason: "429"))
        // Discord's body, in seconds and in milliseconds.
        #expect(
            p.outcome(of: tooMany([:], body: #"{"retry_after": 1.5}"#), attempts: 1, firstAttemptMs: 0, nowMs: 0)
                == .retry(atMs: 1500, reason: "429"))
        #expect(
            p.outcome(of: tooMany([:], body: #"{"retry_after": 2500}"#), attempts: 1, firstAttemptMs: 0, nowMs: 0)
                == .retry(atMs: 2500, reason: "429"))
    }

    @Test func aRetryAfterPastTheBoundIsNeverShortened() {
        // Before: a Retry-After of a day or more was ignored and the delivery retried after the backoff,
        // seconds later, against the service's word. Now it is kept, or the delivery is given up.
        let p = RetryPolicy()
        let outcome = p.outcome(of: tooMany(["retry-after": "172800"]), attempts: 1, firstAttemptMs: 0, nowMs: 0)
        guard case .failed(let reason) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(reason.contains("Retry-After 172800 s"))
        let later = p.outcome(of: tooMany(["retry-after": "3600"]), attempts: 3, firstAttemptMs: 0, nowMs: 1000)
        #expect(later == .retry(atMs: 3_601_000, reason: "429"))
    }

    @Test func refusalsFailAtOnceAndServerErrorsBackOff() {
        let p = RetryPolicy()
        let notFound = Result<HTTPResult, TransportError>.success(HTTPResult(status: 404, headers: [:], body: "no"))
        #expect(p.outcome(of: notFound, attempts: 1, firstAttemptMs: 0, nowMs: 0) == .failed(reason: "HTTP 404: no"))
        let busy = Result<HTTPResult, TransportError>.success(HTTPResult(status: 503, headers: [:], body: ""))
        #expect(
            p.outcome(of: busy, attempts: 3, firstAttemptMs: 0, nowMs: 10_000, jitter: 1)
                == .retry(atMs: 14_000, reason: "HTTP 503"))
        #expect(
            p.outcome(of: busy, attempts: 30, firstAttemptMs: 0, nowMs: 10_000, jitter: 1)
                == .retry(atMs: 70_000, reason: "HTTP 503"))
    }

    @Test func aRedirectIsRetriedWithTheBackoffNeverSentOrGivenUp() {
        // Before: a 302 marked the delivery failed at once, as if the sink had refused the alert.
        let p = RetryPolicy()
        for status in [301, 302, 307, 308] {
            let moved = Result<HTTPResult, TransportError>.success(
                HTTPResult(status: status, headers: ["location": "http://elsewhere/x"], body: ""))
            #expect(
                p.outcome(of: moved, attempts: 3, firstAttemptMs: 0, nowMs: 10_000, jitter: 1)
                    == .retry(atMs: 14_000, reason: "HTTP \(status) redirect, not followed"))
            guard case .failed = p.outcome(of: moved, attempts: 2000, firstAttemptMs: 0, nowMs: 25 * 3_600_000)
            else {
                Issue.record("a redirect for 25 h must be given up like any other failure")
                continue
            }
        }
    }
}
