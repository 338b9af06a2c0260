import Testing

@testable import RunLedgerCore

/// Issue 12, item 5: `/api/runs`, `/runs` and `runledger runs` read one filter; an unknown parameter is
/// an error naming it (`?workflow=brain` was silently ignored before, and the whole ledger came back).
@Suite struct RunFilterTests {
    func parse(_ query: String) throws(RunFilterError) -> (RunFilter, RunPage) {
        try RunFilter.parse(RunFilter.pairs(fromQuery: query), defaultLimit: 50, maxLimit: 1000)
    }

    @Test func everyFilterIsRead() throws {
        let (f, page) = try parse(
            "false_failure=1&mismatch=turns&workflow=code+review%2Fx&status=failed&since=2025-06-19T18:00:00Z"
                + "&until=2025-06-20&q=476a&limit=20&cursor=99")
        #expect(f.falseFailure && f.mismatch == .field("turns") && f.workflow == "code review/x")
        #expect(f.status == .failed && f.idPrefix == "476a")
        #expect(f.sinceMs == 1_750_356_000_000 && f.untilMs == 1_750_377_600_000)
        #expect(page == RunPage(limit: 20, cursor: 99))
    }

    @Test func unknownRepeatedAndBadValuesAreNamed() {
        #expect(throws: RunFilterError.self) { try parse("workflw=brain") }
        #expect((try? parse("workflw=brain")) == nil)
        do { _ = try parse("workflw=brain&x=1") } catch {
            #expect(error.description.hasPrefix("unknown parameters workflw, x"))
        }
        do { _ = try parse("status=done") } catch { #expect(error.description.contains("status must be one of")) }
        do { _ = try parse("since=yesterday") } catch {
            #expect(error.description.contains("since must be an RFC 3339"))
        }
        do { _ = try parse("limit=5000") } catch { #expect(error.description == "limit must be at most 1000") }
        do { _ = try parse("q=a&q=b") } catch { #expect(error.description == "q is given twice") }
    }

    @Test func anHTMLFormsEmptyFieldsAreNoFilter() throws {
        let (f, _) = try parse("mismatch=&status=&workflow=&since=")
        #expect(f.isEmpty)
    }

    @Test func rfc3339OffsetsAndFractions() {
        #expect(RFC3339.epochMs("2025-06-19T20:00:00.5+02:00") == 1_750_356_000_500)
        #expect(RFC3339.epochMs("2025-06-19 18:00:00z") == 1_750_356_000_000)
        #expect(RFC3339.epochMs("2025-13-01") == nil)
        #expect(RFC3339.epochMs("2025-06-19T18:00:00") == nil, "a time without its offset is refused")
    }
}
