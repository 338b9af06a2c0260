import Hummingbird
import RunLedgerCore
import RunLedgerStore

/// The pages for people: the landing page, the filtered run list and one run's page. Ledger reads and
/// the rendering run on a reader thread (`LedgerReader`), like `/api/runs`.
extension HTTPServer {
    static func addPages(to router: Router<BasicRequestContext>, _ state: ServerState) {
        router.get("/") { _, _ -> Response in
            do {
                let facts = try await state.ledger.read { try LandingPage.Facts.read($0) }
                return html(.ok, LandingPage.html(state: state, facts: facts))
            } catch {
                return html(.serviceUnavailable, Pages.missing("The ledger cannot be read: \(error)"))
            }
        }
        router.get("/runs") { request, _ -> Response in
            var filter = RunFilter()
            var page = RunPage(limit: RunPages.pageSize)
            var problem: String?
            do {
                (filter, page) = try RunFilter.parse(
                    RunFilter.pairs(fromQuery: request.uri.query), defaultLimit: RunPages.pageSize,
                    maxLimit: maxPageSize)
            } catch {
                problem = "\(error)"
            }
            // A bad filter shows the form again with the error, and no runs (never the unfiltered ledger).
            let chosen = (filter, page, problem)
            do {
                let body = try await state.ledger.read { ledger in
                    let (runs, next) = chosen.2 == nil ? try ledger.runs(chosen.0, page: chosen.1) : ([], nil)
                    let counts = chosen.2 == nil ? try ledger.counts(chosen.0) : Ledger.RunCounts()
                    return RunPages.list(
                        filter: chosen.0, page: chosen.1, runs: runs, next: next, counts: counts, error: chosen.2)
                }
                return html(problem == nil ? .ok : .badRequest, body)
            } catch {
                return html(.serviceUnavailable, Pages.missing("The ledger cannot be read: \(error)"))
            }
        }
        router.get("/runs/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            do {
                guard let body = try await state.ledger.read({ try $0.run(id).map(RunPages.run) }) else {
                    return html(.notFound, Pages.missing("No run \(id) in the ledger."))
                }
                return html(.ok, body)
            } catch {
                return html(.serviceUnavailable, Pages.missing("The ledger cannot be read: \(error)"))
            }
        }
    }

    static func html(_ status: HTTPResponse.Status, _ body: String) -> Response {
        respond(status, "text/html; charset=utf-8", body)
    }
}
