import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerServer

/// `/metrics` speaks text 0.0.4 and OpenMetrics 1.0.0; the Accept header (or `?format=`) chooses.
/// (These live beside the LiveMetrics tests: this target is the one that links RunLedgerServer.)
@Suite struct ExpositionFormatTests {
    /// Exactly what Prometheus 2.42 sends on every scrape (scrape/scrape.go, `acceptHeader`).
    static let prometheus242Accept =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
        + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

    @Test func prometheusGetsOpenMetrics() {
        #expect(ExpositionFormat.negotiate(accept: Self.prometheus242Accept) == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text") == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: "Application/OpenMetrics-Text; Version=\"1.0.0\"") == .openMetrics)
    }

    @Test func everythingElseGetsText() {
        #expect(ExpositionFormat.negotiate(accept: nil) == .text)
        #expect(ExpositionFormat.negotiate(accept: "") == .text)
        #expect(ExpositionFormat.negotiate(accept: "*/*") == .text)  // curl
        #expect(ExpositionFormat.negotiate(accept: "text/plain;version=0.0.4") == .text)
        #expect(ExpositionFormat.negotiate(accept: "application/json, text/html") == .text)
        // The pre-standard OpenMetrics 0.0.1 is not what this renderer writes.
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=0.0.1") == .text)
        // Unknown future versions are not assumed compatible.
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=2.0.0") == .text)
    }

    @Test func qValuesDecideAndOrderBreaksTies() {
        #expect(
            ExpositionFormat.negotiate(accept: "application/openmetrics-text;q=0.4,text/plain;version=0.0.4;q=0.5")
                == .text)
        #expect(
            ExpositionFormat.negotiate(accept: "text/plain;q=0.2, application/openmetrics-text;q=0.3") == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: "text/plain, application/openmetrics-text") == .text)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text, text/plain") == .openMetrics)
        // q=0 means "not acceptable"; an unreadable q is treated the same.
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;q=0, text/plain;q=0.1") == .text)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;q=high") == .text)
    }

    @Test func theFormatParameterNamesAFormat() {
        #expect(ExpositionFormat(parameter: "text") == .text)
        #expect(ExpositionFormat(parameter: "OpenMetrics") == .openMetrics)
        #expect(ExpositionFormat(parameter: "protobuf") == nil)
        #expect(
            ExpositionFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
        #expect(ExpositionFormat.text.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }

    @Test func openMetricsNamesCounterFamiliesWithoutTotalAndEndsWithEOF() {
        let metrics = LiveMetrics(
            rollups: [SeriesKey(Metrics.falseFailures.name, ["builder"]): 2], workflows: ["builder"], sources: ["log"],
            build: .unknown(version: "t"))
        let text = metrics.render(.text)
        let om = metrics.render(.openMetrics)
        #expect(text == metrics.render())
        #expect(om.hasSuffix("\n# EOF\n"))
        #expect(om.components(separatedBy: "# EOF").count == 2)
        #expect(!om.contains("\n\n"))
        #expect(om.contains("# TYPE agent_workflow_false_failures counter\n"))
        #expect(om.contains("# HELP agent_workflow_false_failures Runs marked failed"))
        #expect(om.contains("agent_workflow_false_failures_total{workflow=\"builder\"} 2\n"))
        #expect(!om.contains("# TYPE agent_workflow_false_failures_total"))
        #expect(om.contains("# TYPE runledger_lines counter\n"))
        #expect(om.contains("# TYPE agent_workflow_runs_active gauge\n"))
        #expect(om.contains("# TYPE runledger_build_info gauge\n"))
        #expect(om.contains("# TYPE agent_workflow_run_cost_usd histogram\n"))
        // Same samples, same values: only the descriptors and the end marker differ.
        func samples(_ s: String) -> [Substring] { s.split(separator: "\n").filter { !$0.hasPrefix("#") } }
        #expect(samples(om) == samples(text))
        // Every family is described once.
        let descriptors = om.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") || $0.hasPrefix("# HELP ") }
        #expect(Set(descriptors).count == descriptors.count)
    }

    @Test func helpTextIsReEscapedAndOddFamiliesStayValid() {
        let text = """
            # HELP a_total Say "hi" \\\\ back\\nslash
            # TYPE a_total counter
            a_total{x="1"} 1
            # HELP b_total A counter without a TYPE line
            b_total 3

            # TYPE c counter
            c 4
            # HELP d A gauge.
            # TYPE d gauge
            # HELP d A gauge.
            # TYPE d gauge
            d 5
            """
        let om = OpenMetrics.render(fromText: text)
        #expect(
            om == """
                # HELP a Say \\"hi\\" \\\\ back\\nslash
                # TYPE a counter
                a_total{x="1"} 1
                # HELP b_total A counter without a TYPE line
                b_total 3
                # TYPE c unknown
                c 4
                # HELP d A gauge.
                # TYPE d gauge
                d 5
                # EOF

                """)
    }
}
