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
/// Discord's `retry_after` in seconds or milliseconds), and a bound after which a sink that keeps
/// failing is marked failed.
public struct RetryPolicy: Sendable {
    public var baseMs: Int64 = 1000
    public var maxDelayMs: Int64 = 5 * 60 * 1000
    public var maxAttempts = 12

    public init() {}

    public func outcome(
        of result: Result<HTTPResult, TransportError>, attempts: Int, nowMs: Int64,
        jitter: Double = Double.random(in: 0.8...1.2)
    ) -> AttemptOutcome {
        let backoff = Int64(Double(min(maxDelayMs, baseMs << Int64(min(attempts - 1, 20)))) * jitter)
        switch result {
        case .failure(let e):
            return attempts >= maxAttempts
                ? .failed(reason: e.description) : .retry(atMs: nowMs + backoff, reason: e.description)
        case .success(let r) where (200..<300).contains(r.status):
            return .sent
        case .success(let r) where r.status == 429:
            let waitMs = Self.retryAfterMs(r, nowMs: nowMs) ?? backoff
            return attempts >= maxAttempts
                ? .failed(reason: "429 Too Many Requests") : .retry(atMs: nowMs + waitMs, reason: "429")
        case .success(let r) where r.status >= 500 || r.status == 408:
            let reason = "HTTP \(r.status)"
            return attempts >= maxAttempts ? .failed(reason: reason) : .retry(atMs: nowMs + backoff, reason: reason)
        case .success(let r):
            return .failed(reason: "HTTP \(r.status): \(r.body.prefix(200))")
        }
    }

    /// How long a 429 asks to wait, in ms; nil when it does not say (or says something unreadable).
    static func retryAfterMs(_ r: HTTPResult, nowMs: Int64) -> Int64? {
        if let h = r.headers["retry-after"]?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(h), seconds >= 0, seconds < 86_400 { return Int64(seconds * 1000) }
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "GMT")
            f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = f.date(from: h) { return max(0, Int64(date.timeIntervalSince1970 * 1000) - nowMs) }
        }
        // Discord: {"retry_after": 1.5} in seconds (API v8+) or 1500 in milliseconds (older).
        if let data = r.body.data(using: .utf8),
            let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let v = (obj["retry_after"] as? NSNumber)?.doubleValue, v >= 0
        {
            return v > 100 ? Int64(v) : Int64(v * 1000)
        }
        return nil
    }
}
