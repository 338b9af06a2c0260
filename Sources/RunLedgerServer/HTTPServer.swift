import CompressNIO
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
    /// Where the exposition is served (`--web.telemetry-path`).
    public var telemetryPath: String
    /// This process's `process_*` values, read on each scrape; nil leaves them out (tests that compare
    /// two expositions byte for byte).
    public var processStats: (@Sendable () -> ProcessStats?)?
    /// Whether the ledger takes commits (a PostgreSQL ledger may be down).
    public var ledgerHealth: LedgerHealth

    public init(
        metrics: LiveMetrics, ledger: LedgerReader, sources: SourceBoard, version: String,
        telemetryPath: String = "/metrics", processStats: (@Sendable () -> ProcessStats?)? = nil,
        ledgerHealth: LedgerHealth = LedgerHealth()
    ) {
        self.ledgerHealth = ledgerHealth
        self.metrics = metrics
        self.ledger = ledger
        self.sources = sources
        self.version = version
        self.telemetryPath = telemetryPath
        self.processStats = processStats
    }
}

/// The HTTP interface: `/metrics`, `/api/runs`, `/api/runs/{id}`, `/healthz`, and pages for people at `/`,
/// `/runs` and `/runs/{id}` (`HTTPServer+Pages.swift`).
public enum HTTPServer {
    /// The most runs one `/api/runs` answer holds. A page of 10,000 was 6.4 MB of JSON, built while
    /// `/metrics` waited; a larger `limit` is refused (400) rather than cut short in silence, so a
    /// client never takes a truncated page for the whole ledger (`runledger runs --json` lists all).
    public static let maxPageSize = 1000

    /// The paths the server answers besides the metrics (`--web.telemetry-path` may not take one).
    static let fixedPaths = ["/", "/runs", "/healthz", "/api/runs"]

    /// A `--web.telemetry-path` the router can serve: one absolute path of plain segments, not one of
    /// the other pages' (a second handler on a path is a crash in the router, not an answer).
    public static func checkTelemetryPath(_ path: String) throws -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let plain = segments.allSatisfy { segment in
            !segment.isEmpty
                && segment.unicodeScalars.allSatisfy {
                    $0.properties.isAlphabetic || "0123456789-_.~".unicodeScalars.contains($0)
                }
        }
        guard path.hasPrefix("/"), path.count > 1, plain, !segments.contains(where: { $0 == "." || $0 == ".." }) else {
            throw ServerOptionError("--web.telemetry-path \(path): must be an absolute path like /metrics")
        }
        let taken = fixedPaths.contains(path) || path.hasPrefix("/runs/") || path.hasPrefix("/api/runs/")
        guard !taken else { throw ServerOptionError("--web.telemetry-path \(path): that path serves another page") }
        return path
    }

    /// - Parameter webConfig: basic auth and headers from `--web.config.file`, in front of every path
    ///   (unknown ones too, so a 404 tells nothing to a client without credentials).
    public static func router(
        _ state: ServerState, in webConfig: WebConfigMiddleware<BasicRequestContext>? = nil
    ) -> Router<BasicRequestContext> {
        // HEAD on every GET path, as the HTTP spec and curl -I expect: the GET handler runs, the body is dropped.
        let router = Router(options: .autoGenerateHeadEndpoints)
        if let webConfig { router.add(middleware: webConfig) }
        addPages(to: router, state)
        router.get(RouterPath(state.telemetryPath)) { request, _ -> Response in
            let format: ExpositionFormat
            if let parameter = request.uri.queryParameters.get("format") {
                guard let chosen = ExpositionFormat(parameter: parameter) else {
                    return error(.badRequest, "format must be text or openmetrics")
                }
                format = chosen
            } else {
                format = ExpositionFormat.negotiate(accept: request.headers[.accept])
            }
            return exposition(format, acceptEncoding: request.headers[.acceptEncoding], state)
        }
        router.get("/healthz") { _, _ -> Response in
            let sources = state.sources.all
            var w = JSONWriter()
            w.beginObject()
            var ledgerDown: String?
            if case .down(let why) = state.ledgerHealth.availability { ledgerDown = why }
            let healthy = sources.allSatisfy(\.up) && ledgerDown == nil
            w.key("status"); w.string(healthy ? "ok" : "degraded")
            w.key("version"); w.string(state.version)
            w.key("ledger")
            w.beginObject()
            w.key("up"); w.bool(ledgerDown == nil)
            w.key("detail"); w.string(ledgerDown)
            w.endObject()
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

    /// The metrics, with this process's own after them, gzip-compressed when the scraper accepts it
    /// (Prometheus always asks: 45 KB of text was 6 KB on the wire).
    static func exposition(_ format: ExpositionFormat, acceptEncoding: String?, _ state: ServerState) -> Response {
        var text = state.metrics.render()
        if let stats = state.processStats?() { text += stats.exposition }
        if format == .openMetrics { text = OpenMetrics.render(fromText: text) }
        var body = ByteBuffer(string: text)
        var headers: HTTPFields = [.contentType: format.contentType]
        // The body depends on these request headers: caches between Prometheus and RunLedger must know.
        headers[.vary] = "Accept, Accept-Encoding"
        if ContentCoding.acceptsGzip(acceptEncoding), let compressed = try? body.compress(with: .gzip()) {
            body = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
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
                return (RunView.json(runs), try ledger.count(filter), next)
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
