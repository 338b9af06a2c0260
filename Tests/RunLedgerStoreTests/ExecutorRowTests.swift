import Testing

@testable import RunLedgerCore
@testable import RunLedgerReports

/// The one reading of a `workflow_runs` row both database readers share.
@Suite struct ExecutorRowTests {
    @Test func turnsAndToolsComeFromMetadata() {
        #expect(ExecutorRow.metadataCounts(#"{"total_turns": 10, "tools_used": ["Read", "Bash", "Edit"]}"#) == (10, 3))
        // HEAD's key when the older one is absent; the older one wins when both are there.
        #expect(ExecutorRow.metadataCounts(#"{"final_turns": 4}"#).turns == 4)
        #expect(ExecutorRow.metadataCounts(#"{"total_turns": 2, "final_turns": 4}"#).turns == 2)
        #expect(ExecutorRow.metadataCounts(#"{"total_turns": 0, "tools_used": []}"#) == (0, 0))
        // JSONB's own text form (keys reordered, a space after each colon) reads the same.
        #expect(ExecutorRow.metadataCounts(#"{"tools_used": ["Read"], "total_turns": 1}"#) == (1, 1))
    }

    @Test func whatMetadataDoesNotStateIsNotReported() {
        for text in [nil, "", "{}", "not json", "[1, 2]", "null", #"{"total_turns": "3", "tools_used": "Read"}"#] {
            #expect(ExecutorRow.metadataCounts(text) == (-1, -1), "\(text ?? "NULL")")
        }
    }

    @Test func costIsReadFromItsTextAndNullIsNotZero() {
        let meta = #"{"total_turns": 4, "tools_used": ["Read"]}"#
        // NUMERIC's text form (DECIMAL(10,6)) and SQLite's REAL read alike.
        #expect(
            ExecutorRow.report(cost: "0.108700", totalTokens: 1200, metadata: meta)
                == Report(costNano: 108_700_000, totalTokens: 1200, turns: 4, tools: 1))
        #expect(ExecutorRow.report(cost: "0.1087", totalTokens: 0, metadata: nil).costNano == 108_700_000)
        #expect(
            ExecutorRow.report(cost: "0.000000", totalTokens: 0, metadata: "{}")
                == Report(costNano: 0, totalTokens: 0, turns: -1, tools: -1))
        #expect(
            ExecutorRow.report(cost: nil, totalTokens: nil, metadata: nil)
                == Report(costNano: -1, totalTokens: -1, turns: -1, tools: -1))
    }
}
