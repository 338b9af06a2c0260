import Hummingbird
import RunLedgerCore
import RunLedgerStore

/// The pages for people: the landing page, the filtered run list and one run's page. Ledger reads and
/// the rendering run on a reader thread (`LedgerReader`), like `/api/runs`.
extension HTTPServer {
    static func addPages(to router: Router<BasicRequestContext>, _ state: ServerState) {
        router.get("/") { _, _ -> Response in
            await page {
                let facts = try await state.ledger.read { try LandingPage.Facts.read($0) }
                return html(.ok, LandingPage.html(state: state, facts: facts))
            }
        }
        router.get("/runs") { request, _ -> Response in
            let filter: RunFilter
            let page: RunPage
            do {
                (filter, page) = try RunFilter.parse(
                    RunFilter.pairs(fromQuery: request.uri.query), defaultLimit: RunPages.pageSize,
                    maxLimit: maxPageSize)
            } catch {
                // The form again with the error, and no runs (never the unfiltered ledger).
                let fleet = (try? await state.ledger.read { $0.namesInstances }) ?? false
                let page = RunPages.list(
                    filter: RunFilter(), page: RunPage(limit: RunPages.pageSize), runs: [], next: nil,
                    counts: RunCounts(), fleet: fleet, error: "\(error)")
                return html(.badRequest, page)
            }
            return await Self.page {
                let body = try await state.ledger.read { ledger in
                    let (runs, next) = try ledger.runs(filter, page: page)
                    return RunPages.list(
                        filter: filter, page: page, runs: runs, next: next, counts: try ledger.counts(filter),
                        fleet: ledger.namesInstances, error: nil)
                }
                return html(.ok, body)
            }
        }
        router.get("/runs/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            return await page {
                guard let body = try await state.ledger.read({ try $0.run(id).map(RunPages.run) }) else {
                    return html(.notFound, Pages.missing("No run \(id) in the ledger."))
                }
                return html(.ok, body)
            }
        }
    }

    /// A page built from ledger reads, or a 503 saying why the ledger could not be read.
    private static func page(_ build: () async throws -> Response) async -> Response {
        do { return try await build() } catch {
            return html(.serviceUnavailable, Pages.missing("The ledger cannot be read: \(error)"))
        }
    }

    static func html(_ status: HTTPResponse.Status, _ body: String) -> Response {
        respond(status, "text/html; charset=utf-8", body)
    }
}
