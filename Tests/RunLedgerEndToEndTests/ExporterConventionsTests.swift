import Foundation
import TestSupport
import Testing

/// What an operator of Prometheus exporters expects of any of them (node_exporter's flags and metrics):
/// the `--web.*` and `--log.*` flags, HEAD, gzip, `process_*` and `*_build_info`, and a port in use said
/// before anything is opened.
@Suite(.serialized, .tags(.slow)) struct ExporterConventionsTests {
    func caughtUp(_ serve: ServeProcess, path: String = "/metrics") throws {
        try #require(serve.port > 0, "serve did not start: \(serve.stderr)")
        let done = serve.waitFor(path, within: 20) {
            samples($0).filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +) == 918
        }
        try #require(done != nil, "serve did not read the sample: \(serve.stderr)")
    }

    @Test func headIsAnsweredOnEveryGetPathWithTheGetLengthAndNoBody() throws {
        let dir = TempDir()
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), Paths.sampleLog], dir: dir)
        defer { _ = serve.stop() }
        try caughtUp(serve)
        let runs = try #require(httpRequest(port: serve.port, "/api/runs?limit=1"))
        let id = try #require(
            (try JSONSerialization.jsonObject(with: Data(runs.body.utf8)) as? [[String: Any]])?.first?["run_id"]
                as? String)
        for path in ["/", "/runs", "/runs/\(id)", "/api/runs", "/api/runs/\(id)", "/healthz", "/runs/nope"] {
            let get = try #require(httpExchange(port: serve.port, path))
            let head = try #require(httpExchange(port: serve.port, path, method: "HEAD"), "HEAD \(path)")
            #expect(head.status == get.status, "HEAD \(path)")
            #expect(head.body.isEmpty, "HEAD \(path) has no body")
            #expect(head.headers["content-type"] == get.headers["content-type"], "HEAD \(path)")
            #expect(head.headers["content-length"] == String(get.body.count), "HEAD \(path)")
        }
        let head = try #require(httpExchange(port: serve.port, "/metrics", method: "HEAD"))
        #expect(head.status == 200 && head.body.isEmpty)
    }

    @Test func metricsAreGzippedWhenTheScraperAcceptsItAndSayTheSame() throws {
        let dir = TempDir()
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), Paths.sampleLog], dir: dir)
        defer { _ = serve.stop() }
        try caughtUp(serve)
        let plain = try #require(httpExchange(port: serve.port, "/metrics"))
        #expect(plain.headers["content-encoding"] == nil)
        // What Prometheus 2.42 sends (its scrape client asks for gzip on every scrape).
        let zipped = try #require(httpExchange(port: serve.port, "/metrics", headers: ["Accept-Encoding": "gzip"]))
        #expect(zipped.status == 200)
        #expect(zipped.headers["content-encoding"] == "gzip")
        #expect(zipped.headers["vary"] == "Accept, Accept-Encoding")
        #expect(zipped.body.count * 4 < plain.body.count, "\(zipped.body.count) bytes zipped of \(plain.body.count)")
        // Decoded by gzip(1), not by our own code.
        try Data(zipped.body).write(to: URL(fileURLWithPath: dir.file("m.gz")))
        let unzipped = try run("/bin/sh", ["-c", "gzip -dc < \(dir.file("m.gz"))"])
        #expect(unzipped.status == 0, "\(unzipped.stderr)")
        let text = String(decoding: plain.body, as: UTF8.self)
        #expect(withoutProcess(samples(unzipped.stdout)) == withoutProcess(samples(text)))
        // Refused (q=0), or not offered: plain text.
        for refusal in ["gzip;q=0", "identity", "br, *;q=0"] {
            let r = try #require(httpExchange(port: serve.port, "/metrics", headers: ["Accept-Encoding": refusal]))
            #expect(r.headers["content-encoding"] == nil, "\(refusal)")
        }
        let any = try #require(httpExchange(port: serve.port, "/metrics", headers: ["Accept-Encoding": "br, *"]))
        #expect(any.headers["content-encoding"] == "gzip")
    }

    @Test func processMetricsAndBuildInfoDescribeThisProcess() throws {
        let dir = TempDir()
        let started = Date().timeIntervalSince1970
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), Paths.sampleLog], dir: dir)
        defer { _ = serve.stop() }
        try caughtUp(serve)
        let body = try #require(serve.get("/metrics")).body
        let values = samples(body)
        let openFDs = try #require(values["process_open_fds"])
        let fdsNow = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(serve.process.processIdentifier)/fd")
        // The server's own count, within a few of what /proc says of it from outside (the scrape's socket).
        #expect(openFDs >= 3 && abs(openFDs - Double(fdsNow.count)) <= 4, "\(openFDs) vs \(fdsNow.count)")
        #expect(try #require(values["process_max_fds"]) >= openFDs)
        let start = try #require(values["process_start_time_seconds"])
        #expect(start >= started - 2 && start <= Date().timeIntervalSince1970, "\(start) vs \(started)")
        #expect(try #require(values["process_resident_memory_bytes"]) > 1_000_000)
        #expect(try #require(values["process_cpu_seconds_total"]) > 0)
        #expect(body.contains("# TYPE process_cpu_seconds_total counter\n"))
        // The labels of runledger_build_info are what `--version` says.
        let version = try runledger("--version").stdout
        let info = try #require(values.keys.first { $0.hasPrefix("runledger_build_info{") })
        let revision = try #require(version.firstMatch(of: /revision: ([^)]+)\)/)?.1)
        let swift = try #require(version.firstMatch(of: /swift version: (\S+)/)?.1)
        #expect(info.contains("revision=\"\(revision)\""), "\(info) / \(version)")
        #expect(info.contains("swiftversion=\"\(swift)\""), "\(info) / \(version)")
        #expect(version.contains("build date: "), "\(version)")
    }

    @Test func webFlagsNameTheAddressAndTheMetricsPath() throws {
        let dir = TempDir()
        let port = freeLoopbackPort()
        let serve = try ServeProcess(
            args: [
                "--db", dir.file("l.db"), "--web.listen-address", "127.0.0.1:\(port)", "--web.telemetry-path",
                "/x/metrics", Paths.sampleLog,
            ], dir: dir, fixedPort: port)
        defer { _ = serve.stop() }
        try caughtUp(serve, path: "/x/metrics")
        #expect(serve.stderr.contains("serving http://127.0.0.1:\(port)/"), "\(serve.stderr)")
        #expect(serve.get("/metrics")?.status == 404)
        for (path, message) in [
            ("/runs", "--web.telemetry-path /runs: that path serves another page"),
            ("metrics", "--web.telemetry-path metrics: must be an absolute path like /metrics"),
            ("/a b", "--web.telemetry-path /a b: must be an absolute path like /metrics"),
        ] {
            let r = try runledger("serve", "--db", dir.file("x.db"), "--web.telemetry-path", path, Paths.sampleLog)
            #expect(r.status == 1 && r.stderr == "runledger: \(message)\n", "\(r.stderr)")
        }
    }

    @Test func aPortInUseIsTheOneLineAndNothingIsOpened() throws {
        let dir = TempDir()
        let holder = try ServeProcess(args: ["--db", dir.file("first.db"), Paths.sampleLog], dir: dir)
        defer { _ = holder.stop() }
        try #require(holder.port > 0, "\(holder.stderr)")
        let r = try runledger(
            "serve", "--db", dir.file("second.db"), "--listen", "127.0.0.1:\(holder.port)", Paths.sampleLog)
        #expect(r.status == 1)
        #expect(r.stderr == "runledger: listen 127.0.0.1:\(holder.port): address already in use\n", "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("second.db")), "the ledger was not created")
    }

    @Test func logLinesAreOneEventEachInTheChosenFormatAndLevel() throws {
        let dir = TempDir()
        let missing = dir.file("not-yet.log")
        // logfmt, the default: every line `ts=… level=… msg=…`.
        let logfmt = try ServeProcess(args: ["--db", dir.file("a.db"), Paths.sampleLog, missing], dir: dir)
        try caughtUp(logfmt)
        _ = logfmt.stop()
        let lines = logfmt.stderr.split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            #expect(
                line.wholeMatch(of: /ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(debug|info|warn|error) msg=.*/)
                    != nil, "\(line)")
        }
        #expect(lines.contains { $0.contains("level=warn") && $0.contains("not-yet.log") }, "\(logfmt.stderr)")
        // json: every line one object with ts, level and msg.
        let jsonDir = TempDir()
        let json = try ServeProcess(
            args: ["--db", jsonDir.file("b.db"), "--log.format", "json", Paths.sampleLog, missing], dir: jsonDir)
        try caughtUp(json)
        _ = json.stop()
        for line in json.stderr.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["ts"] is String && object?["msg"] is String, "\(line)")
            #expect(["debug", "info", "warn", "error"].contains(object?["level"] as? String ?? ""), "\(line)")
        }
        #expect(json.stderr.contains("serving http://127.0.0.1:"))
        // --log.level warn: the warning stays, the info lines go.
        let quietDir = TempDir()
        let port = freeLoopbackPort()
        let quiet = try ServeProcess(
            args: [
                "--db", quietDir.file("c.db"), "--listen", "127.0.0.1:\(port)", "--log.level", "warn",
                Paths.sampleLog, missing,
            ], dir: quietDir, fixedPort: port)
        try caughtUp(quiet)
        _ = quiet.stop()
        #expect(!quiet.stderr.contains("level=info"), "\(quiet.stderr)")
        #expect(quiet.stderr.contains("level=warn") && quiet.stderr.contains("not-yet.log"), "\(quiet.stderr)")
        let bad = try runledger("serve", "--log.level", "loud", Paths.sampleLog)
        #expect(bad.status != 0 && bad.stderr.contains("loud"), "\(bad.stderr)")
    }
}
