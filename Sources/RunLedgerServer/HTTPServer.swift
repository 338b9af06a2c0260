import Foundation
import HTTPTypes
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

/// The HTTP interface: `/metrics`, `/api/runs`, `/api/runs/{id}`, `/healthz`, and pages for people at `/`,
/// `/runs` and `/runs/{id}` (`HTTPServer+Pages.swift`).
public enum HTTPServer {
    /// The most runs one `/api/runs` answer holds. A page of 10,000 was 6.4 MB of JSON, built while
    /// `/metrics` waited; a larger `limit` is refused (400) rather than cut short in silence, so a
    /// client never takes a truncated page for the whole ledger (`runledger runs --json` lists all).
    public static let maxPageSize = 1000

    public static func router(_ state: ServerState) -> Router<BasicRequestContext> {
        let router = Router()
        addPages(to: router, state)
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
            await listRuns(query: request.uri.query, state)
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

    /// `/api/runs`: newest first, a page at a time. The body stays the array it always was; the total
    /// and the next page go in headers (`X-Total-Count`, `Link: <…>; rel="next"`, `X-Next-Cursor`).
    static func listRuns(query: String?, _ state: ServerState) async -> Response {
        let filter: RunFilter
        let page: RunPage
        do {
            (filter, page) = try RunFilter.parse(
                RunFilter.pairs(fromQuery: query), defaultLimit: 100, maxLimit: maxPageSize)
        } catch {
            return Self.error(.badRequest, "\(error)")
        }
        let read: (body: String, total: Int, next: Int64?)
        do {
            read = try await state.ledger.read { ledger -> (body: String, total: Int, next: Int64?) in
                let (runs, next) = try ledger.runs(filter, page: page)
                return (RunView.json(runs), try ledger.counts(filter).runs, next)
            }
        } catch {
            return Self.error(.serviceUnavailable, "\(error)")
        }
        var response = respond(.ok, "application/json", read.body)
        response.headers[totalCount] = String(read.total)
        if let next = read.next {
            var items = filter.queryItems
            items.append(("limit", String(page.limit)))
            items.append(("cursor", String(next)))
            response.headers[nextCursor] = String(next)
            response.headers[linkHeader] = "<\(Pages.href("/api/runs", items))>; rel=\"next\""
        }
        return response
    }

    static let totalCount = HTTPField.Name("X-Total-Count")!
    static let nextCursor = HTTPField.Name("X-Next-Cursor")!
    static let linkHeader = HTTPField.Name("Link")!

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
