import Foundation
import RunLedgerHTTP

/// What to do after one delivery attempt.
public enum AttemptOutcome: Equatable, Sendable {
    case sent
    /// Try again at this time (ms since the epoch).
    case retry(atMs: Int64, reason: String)
    /// Give up: a permanent refusal, or failing for too long.
    case failed(reason: String)
}

/// Exponential backoff with jitter, `429` honoured (`Retry-After` in seconds or as an HTTP date;
/// Discord's `retry_after` in seconds or milliseconds), and a bound in *time* after which a sink that
/// keeps failing is marked failed.
///
/// The bound is time since the first attempt, not a count of attempts: with 12 attempts doubling to
/// 5 min, a sink down for 19 minutes lost its alerts, and one back after a 10-minute chat outage got
/// them 3.5 minutes late. Doubling from 1 s to `maxDelayMs` (60 s) delivers within about a minute of
/// any outage ending, and an alert is given up only after `giveUpAfterMs` (24 h) of failures.
public struct RetryPolicy: Sendable {
    public var baseMs: Int64 = 1000
    public var maxDelayMs: Int64 = 60 * 1000
    public var giveUpAfterMs: Int64 = 24 * 3600 * 1000

    public init() {}

    /// `attempts` counts this one; `firstAttemptMs` is when the delivery was first tried.
    public func outcome(
        of result: Result<HTTPResult, TransportError>, attempts: Int, firstAttemptMs: Int64, nowMs: Int64,
        jitter: Double = Double.random(in: 0.8...1.2)
    ) -> AttemptOutcome {
        let backoff = Int64(Double(min(maxDelayMs, baseMs << Int64(min(max(attempts - 1, 0), 20)))) * jitter)
        let deadline = firstAttemptMs + giveUpAfterMs
        func retry(inMs wait: Int64, _ reason: String) -> AttemptOutcome {
            nowMs >= deadline ? .failed(reason: reason + giveUp) : .retry(atMs: nowMs + wait, reason: reason)
        }
        switch result {
        case .failure(let e):
            return retry(inMs: backoff, e.description)
        case .success(let r) where (200..<300).contains(r.status):
            return .sent
        case .success(let r) where r.status == 429:
            // The service says when: waiting less would be refused again, and it is no failure of ours
            // to wait, however many attempts that took. A wait past the bound is not one we will keep.
            guard let asked = Self.retryAfterMs(r, nowMs: nowMs) else { return retry(inMs: backoff, "429") }
            if nowMs + asked > deadline {
                return .failed(reason: "429 Too Many Requests, Retry-After \(asked / 1000) s" + giveUp)
            }
            return .retry(atMs: nowMs + asked, reason: "429")
        case .success(let r) where r.status >= 500 || r.status == 408:
            return retry(inMs: backoff, "HTTP \(r.status)")
        case .success(let r) where (300..<400).contains(r.status):
            // Never followed (the client sets no FOLLOWLOCATION): a webhook URL is a secret given to
            // one host, and a redirect could send the alert and its Idempotency-Key anywhere. Nor is
            // it a refusal: a moved or misconfigured endpoint (a proxy's login page, an http->https
            // hop) is fixed by a person, so the alert waits with the usual backoff instead of being
            // lost at once. The Location is not repeated: it may carry a token of its own.
            return retry(inMs: backoff, "HTTP \(r.status) redirect, not followed")
        case .success(let r):
            return .failed(reason: "HTTP \(r.status): \(r.body.prefix(200))")
        }
    }

    private var giveUp: String { "; given up after \(giveUpAfterMs / 3_600_000) h of failures" }

    /// How long a 429 asks to wait, in ms; nil when it does not say (or says something unreadable).
    static func retryAfterMs(_ r: HTTPResult, nowMs: Int64) -> Int64? {
        if let h = r.headers["retry-after"]?.trimmingCharacters(in: .whitespaces) {
            // Any size: a wait past the give-up bound is the caller's to judge, never shortened here.
            if let seconds = Double(h), seconds >= 0, seconds.isFinite { return Int64(min(seconds, 1e12) * 1000) }
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "GMT")
            f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = f.date(from: h) { return max(0, Int64(date.timeIntervalSince1970 * 1000) - nowMs) }
        }
        // Discord: {"retry_after": 1.5} in seconds (API v8+) or 1500 in milliseconds (older).
        if let data = r.body.data(using: .utf8),
            let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let v = (obj["retry_after"] as? NSNumber)?.doubleValue, v >= 0, v.isFinite
        {
            return v > 100 ? Int64(min(v, 1e15)) : Int64(v * 1000)
        }
        return nil
    }
}
