import Foundation
import TestSupport
import Testing

/// `serve` answers Prometheus's own Accept header with OpenMetrics 1.0.0 and everything else with the
/// text format 0.0.4; both carry the same samples and pass a strict checker of their format.
@Suite(.serialized, .tags(.slow)) struct ExpositionServeTests {
    /// Exactly what Prometheus 2.42 sends on every scrape.
    static let prometheusAccept =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
        + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    static let openMetricsType = "application/openmetrics-text; version=1.0.0; charset=utf-8"
    static let textType = "text/plain; version=0.0.4; charset=utf-8"

    @Test func bothFormatsCarryTheSameSamplesAndPassTheirCheckers() throws {
        let dir = TempDir()
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), Paths.sampleLog], dir: dir)
        defer { _ = serve.stop() }
        try #require(serve.port > 0, "serve did not start: \(serve.stderr)")
        let caughtUp = serve.waitFor("/metrics", within: 10) {
            samples($0).filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +) == 918
        }
        try #require(caughtUp != nil)

        let om = try #require(httpRequest(port: serve.port, "/metrics", headers: ["Accept": Self.prometheusAccept]))
        #expect(om.status == 200)
        #expect(om.headers["content-type"] == Self.openMetricsType)
        #expect(om.headers["vary"] == "Accept, Accept-Encoding")
        #expect(om.body.hasSuffix("\n# EOF\n"))
        let text = try #require(httpRequest(port: serve.port, "/metrics"))
        #expect(text.headers["content-type"] == Self.textType)
        #expect(!text.body.contains("# EOF"))
        // This process's own values (CPU, memory) move between two scrapes; the rest may not.
        #expect(withoutProcess(samples(om.body)) == withoutProcess(samples(text.body)))
        #expect(samples(om.body).count > 600)

        // The query parameter wins over the header, both ways; anything else is refused.
        let forcedText = httpRequest(
            port: serve.port, "/metrics?format=text", headers: ["Accept": Self.prometheusAccept])
        #expect(forcedText?.headers["content-type"] == Self.textType)
        #expect(forcedText.map { withoutProcess(samples($0.body)) } == withoutProcess(samples(text.body)))
        #expect(
            httpRequest(port: serve.port, "/metrics?format=openmetrics")?.headers["content-type"]
                == Self.openMetricsType)
        let bad = httpRequest(port: serve.port, "/metrics?format=protobuf")
        #expect(bad?.status == 400)
        #expect(bad?.body.contains("format must be text or openmetrics") == true)

        // Text 0.0.4: promtool's linter. OpenMetrics: promtool 2.42 reads only 0.0.4 (it takes an
        // OpenMetrics counter family for a metric without help), so the reference Python client's
        // strict OpenMetrics parser checks it (python3-prometheus-client); the end-to-end test has
        // the real Prometheus scrape it as well.
        try text.body.write(toFile: dir.file("text.txt"), atomically: true, encoding: .utf8)
        try om.body.write(toFile: dir.file("om.txt"), atomically: true, encoding: .utf8)
        let promtool = try #require(which("promtool"))
        let lint = try run("/bin/sh", ["-c", "\(promtool) check metrics < \(dir.file("text.txt"))"])
        #expect(lint.status == 0, "promtool: \(lint.stdout)\(lint.stderr)")
        let parse = try DebianPython.run(
            """
            import sys
            from prometheus_client.openmetrics.parser import text_string_to_metric_families
            families = list(text_string_to_metric_families(open(sys.argv[1]).read()))
            print(len(families), sum(len(f.samples) for f in families))
            """, [dir.file("om.txt")])
        #expect(parse.status == 0, "OpenMetrics parser: \(parse.stderr)")
        let counts = parse.stdout.split(separator: " ").compactMap {
            Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(counts.count == 2 && counts[1] == samples(om.body).count, "\(parse.stdout)")
        // The checker is strict: the text format, as OpenMetrics, is refused.
        let refused = try DebianPython.run(
            """
            import sys
            from prometheus_client.openmetrics.parser import text_string_to_metric_families
            list(text_string_to_metric_families(open(sys.argv[1]).read()))
            """, [dir.file("text.txt")])
        #expect(refused.status != 0)
    }
}

/// The samples but this process's own (`process_*`), which change from one scrape to the next.
func withoutProcess(_ samples: [String: Double]) -> [String: Double] {
    samples.filter { !$0.key.hasPrefix("process_") }
}
