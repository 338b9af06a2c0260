import Foundation
import Hummingbird
import Logging
import RunLedgerCore
import RunLedgerStore

/// Everything the HTTP handlers read.
public struct ServerState: Sendable {
    public var metrics: LiveMetrics
    public var ledger: LedgerReader
    public var sources: SourceBoard
    public var version: String

    public init(metrics: LiveMetrics, ledger: LedgerReader, sources: SourceBoard, version: String) {
        self.metrics = metrics
        self.ledger = ledger
        self.sources = sources
        self.version = version
    }
}

/// The HTTP interface: `/metrics`, `/api/runs`, `/api/runs/{id}`, `/healthz` and a landing page at `/`.
public enum HTTPServer {
    /// The most runs one `/api/runs` answer holds. A page of 10,000 was 6.4 MB of JSON, built while
    /// `/metrics` waited; a larger `limit` is refused (400) rather than cut short in silence, so a
    /// client never takes a truncated page for the whole ledger (`runledger runs --json` lists all).
    public static let maxPageSize = 1000

    public static func router(_ state: ServerState) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ -> Response in
            let flagged =
                (try? await state.ledger.read { try $0.runs(RunQuery(flaggedOnly: true, limit: 20, newestFirst: true)) })
                ?? []
            return respond(.ok, "text/html; charset=utf-8", LandingPage.html(state: state, flagged: flagged))
        }
        router.get("/metrics") { request, _ -> Response in
            let format: ExpositionFormat
            if let parameter = request.uri.queryParameters.get("format") {
                guard let chosen = ExpositionFormat(parameter: parameter) else {
                    return error(.badRequest, "format must be text or openmetrics")
                }
                format = chosen
            } else {
                format = ExpositionFormat.negotiate(accept: request.headers[.accept])
            }
            var response = respond(.ok, format.contentType, state.metrics.render(format))
            // The body depends on the Accept header: caches between Prometheus and RunLedger must know.
            response.headers[.vary] = "Accept"
            return response
        }
        router.get("/healthz") { _, _ -> Response in
            let sources = state.sources.all
            var w = JSONWriter()
            w.beginObject()
            let healthy = sources.allSatisfy(\.up)
            w.key("status"); w.string(healthy ? "ok" : "degraded")
            w.key("version"); w.string(state.version)
            w.key("sources")
            w.beginArray()
            for s in sources {
                w.beginObject()
                w.key("source"); w.string(s.name)
                w.key("up"); w.bool(s.up)
                w.key("lines"); w.int(s.lines)
                w.key("offset"); w.int(s.offset)
                w.key("detail"); w.string(s.detail)
                w.key("last_malformed"); w.string(s.lastProblem)
                w.endObject()
            }
            w.endArray()
            w.endObject()
            return respond(healthy ? .ok : .serviceUnavailable, "application/json", w.text)
        }
        router.get("/api/runs") { request, _ -> Response in
            let q = request.uri.queryParameters
            var query = RunQuery(limit: 100, newestFirst: true)
            if let s = q.get("status") {
                guard let status = RunStatus(rawValue: s) else {
                    return error(
                        .badRequest,
                        "status must be one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                query.status = status
            }
            if let f = q.get("flagged") { query.flaggedOnly = ["1", "true", "yes"].contains(f.lowercased()) }
            if let l = q.get("limit") {
                guard let n = Int(l), n >= 0 else { return error(.badRequest, "limit must be a whole number") }
                guard n <= maxPageSize else { return error(.badRequest, "limit must be at most \(maxPageSize)") }
                query.limit = n
            }
            do {
                let body = try await state.ledger.read { RunView.json(try $0.runs(query)) }
                return respond(.ok, "application/json", body)
            } catch {
                return Self.error(.serviceUnavailable, "\(error)")
            }
        }
        router.get("/api/runs/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            do {
                guard let body = try await state.ledger.read({ try $0.run(id).map { RunView.json($0) } }) else {
                    return error(.notFound, "no run \(id) in the ledger")
                }
                return respond(.ok, "application/json", body)
            } catch {
                return Self.error(.serviceUnavailable, "\(error)")
            }
        }
        return router
    }

    static func respond(_ status: HTTPResponse.Status, _ type: String, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var w = JSONWriter()
        w.beginObject()
        w.key("error"); w.string(message)
        w.endObject()
        return respond(status, "application/json", w.text)
    }
}
