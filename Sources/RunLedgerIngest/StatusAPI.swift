import Foundation
import RunLedgerCore
import RunLedgerHTTP

/// The executor's status API (`GET /api/v1/workflows/claude-code/run/{run_id}/status`) as the `api`
/// report source. It is asked only about ended runs it has not answered for, a bounded number per
/// poll, and a poll ends at the first failure: an API that is down costs one timeout, not hundreds.
public final class StatusAPI: ReportSource {
    public struct Options: Sendable {
        /// `http://127.0.0.1:8881`, with or without a trailing `/` or `/api/v1`.
        public var url: String
        /// Sent in `header` when set (already resolved from env:/file:).
        public var apiKey: String?
        public var header = "X-API-Key"
        public var timeoutMs = 3000
        public var maxRequestsPerPoll = 200
        /// A run that answered `running`, or failed in a way of its own (a 500, a body that is not a
        /// status), waits this long before it is asked again, so that it cannot starve the others.
        public var askAgainAfterSeconds: Double = 60

        public init(url: String, apiKey: String? = nil, header: String? = nil) {
            self.url = url
            self.apiKey = apiKey
            if let header { self.header = header }
        }
    }

    public struct ConfigError: Error, CustomStringConvertible {
        public var description: String
    }

    public static let pathTemplate = "/api/v1/workflows/claude-code/run/{run_id}/status"

    public let name = "api"
    public let rereadsReportedRuns = false
    private let options: Options
    private let base: String
    /// The base URL without credentials, for messages.
    public let shownURL: String
    private let headers: [String]
    private let client = CurlClient()
    /// Runs the API answered 404 for: it does not know them, so they are not asked again (until restart).
    private var unknownRuns: Set<String> = []
    private var notBefore: [String: Date] = [:]

    public init(_ options: Options) throws {
        try Self.check(options)
        self.options = options
        (base, shownURL) = try Self.normalise(options.url)
        headers =
            ["Accept: application/json", "User-Agent: runledger"]
            + (options.apiKey.map { ["\(options.header): \($0)"] } ?? [])
    }

    /// Whether the URL, the header name and the key can make requests; the error never holds the key.
    public static func check(_ options: Options) throws {
        _ = try normalise(options.url)
        guard !options.header.isEmpty, options.header.utf8.allSatisfy(isTokenByte) else {
            throw ConfigError(description: "\"\(options.header)\" is not an HTTP header name")
        }
        if let key = options.apiKey {
            guard !key.isEmpty, !key.contains(where: { $0.isNewline }) else {
                throw ConfigError(description: "the API key is empty or spans lines")
            }
        }
    }

    /// The base to put the API path after, and the same without credentials, for messages.
    public static func normalise(_ url: String) throws -> (base: String, shown: String) {
        var u = url.trimmingCharacters(in: .whitespaces)
        guard u.hasPrefix("http://") || u.hasPrefix("https://"), let c = URLComponents(string: u), let host = c.host,
            !host.isEmpty, c.query == nil, c.fragment == nil
        else {
            // A URL that carries credentials is not repeated, even when malformed.
            let shown = url.contains("@") ? "the URL" : "\"\(url)\""
            throw ConfigError(description: "\(shown) is not an http:// or https:// base URL")
        }
        while u.hasSuffix("/") { u.removeLast() }
        if u.hasSuffix("/api/v1") { u.removeLast(7) }
        while u.hasSuffix("/") { u.removeLast() }
        let path = URLComponents(string: u)?.path ?? ""
        let shown = "\(c.scheme ?? "http")://\(host)\(c.port.map { ":\($0)" } ?? "")\(path)"
        return (u, shown)
    }

    public func reports(for runIds: [String]) throws -> ReportAnswer {
        var answer = ReportAnswer()
        var asked = 0
        let now = Date()
        for id in runIds where asked < options.maxRequestsPerPoll {
            if unknownRuns.contains(id) { continue }
            if let t = notBefore[id], t > now { continue }
            asked += 1
            switch ask(id) {
            case .answered(.report(let r)):
                answer.reports[id] = r
                notBefore[id] = nil
            case .answered(.notEnded):
                notBefore[id] = now.addingTimeInterval(options.askAgainAfterSeconds)
            case .unknownRun:
                unknownRuns.insert(id)
                notBefore[id] = nil
            case .failed(let cause, let aboutThisRun):
                if aboutThisRun { notBefore[id] = now.addingTimeInterval(options.askAgainAfterSeconds) }
                answer.problem = "status API \(shownURL) GET \(Self.pathTemplate): \(cause)"
                return answer
            }
        }
        return answer
    }

    private enum Asked {
        case answered(StatusAnswer)
        case unknownRun
        /// `aboutThisRun`: the API answered, badly, for this run (others may fare better).
        case failed(String, aboutThisRun: Bool)
    }

    private func ask(_ runId: String) -> Asked {
        let escaped = runId.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? runId
        let url = base + Self.pathTemplate.replacingOccurrences(of: "{run_id}", with: escaped)
        let result: HTTPResult
        do { result = try client.get(url, headers: headers, timeoutMs: options.timeoutMs) } catch {
            return .failed("\(error)", aboutThisRun: false)
        }
        switch result.status {
        case 200..<300:
            do { return .answered(try StatusResponse.parse(result.body, runId: runId)) } catch {
                return .failed("\(error)", aboutThisRun: true)
            }
        case 404:
            // FastAPI says why in JSON; an HTML 404 is a proxy or a wrong URL, not an unknown run.
            guard (try? JSONSerialization.jsonObject(with: Data(result.body.utf8))) is [String: Any] else {
                return .failed("answered 404 without JSON (is the URL right?)", aboutThisRun: false)
            }
            return .unknownRun
        case 401, 403:
            return .failed("answered \(result.status): the API key is missing or wrong", aboutThisRun: false)
        default:
            return .failed("answered HTTP \(result.status)", aboutThisRun: true)
        }
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func isTokenByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || "!#$%&'*+-.^_`|~".utf8.contains(b)
    }
}
