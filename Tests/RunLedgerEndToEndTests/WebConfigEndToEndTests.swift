import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `serve --web.config.file` with real parts: certificates made by `openssl`, requests by `curl`, and
/// Debian's Prometheus scraping over HTTPS with basic auth, as an operator would set it up.
@Suite(.serialized, .tags(.slow)) struct WebConfigEndToEndTests {
    /// `htpasswd -nbBC 10 prometheus scrape-secret`.
    static let prometheusHash = "$2y$10$J0n./6I8GM84Rjd2SLiDqOoOJVahwb03fYz8qxvzflhZK7ug691/K"

    /// A CA, two server certificates for localhost and 127.0.0.1 signed by it (CN server and server2,
    /// the second for a renewal), and a client certificate signed by it: ca.crt, server.crt/.key,
    /// server2.crt/.key, client.crt/.key in `dir`.
    static func makeCertificates(in dir: TempDir) throws {
        let openssl = try which("openssl").orThrow("openssl is installed by make test (Debian openssl)")
        func sh(_ args: [String]) throws {
            let r = try run(openssl, args, directory: dir.path)
            guard r.status == 0 else { throw Failure("openssl \(args.joined(separator: " ")): \(r.stderr)") }
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try sh(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test CA"])
        for (name, extensions) in [
            ("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
            ("server2", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
            ("client", "extendedKeyUsage=clientAuth"),
        ] {
            try extensions.write(toFile: dir.file("\(name).ext"), atomically: true, encoding: .utf8)
            try sh(["req"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)"])
            try sh([
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-out", "\(name).crt", "-extfile", "\(name).ext",
            ])
        }
    }

    /// curl's answer: the status (0 when no HTTP answer came: a refused handshake), headers and body.
    static func curl(_ args: [String]) throws -> (status: Int, head: String, body: String) {
        let curl = try which("curl").orThrow("curl is installed by make test")
        let r = try run(curl, ["-s", "-S", "--max-time", "10", "-D", "-", "-w", "\n%{http_code}"] + args, timeout: 20)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let text = lines.dropLast().joined(separator: "\n")
        let split = text.range(of: "\r\n\r\n")
        return (
            status, split.map { String(text[..<$0.lowerBound]) } ?? text,
            split.map { String(text[$0.upperBound...]) } ?? ""
        )
    }

    @Test func prometheusScrapesOverHTTPSWithTheRightPasswordAndIsRefusedWithAWrongOne() throws {
        let dir = TempDir()
        try Self.makeCertificates(in: dir)
        // Relative certificate paths: from the web config's directory, wherever serve runs.
        try """
        tls_server_config:
          cert_file: server.crt
          key_file: server.key
        http_server_config:
          headers:
            Strict-Transport-Security: max-age=31536000
        basic_auth_users:
          prometheus: \(Self.prometheusHash)
        """.write(toFile: dir.file("web.yml"), atomically: true, encoding: .utf8)
        let log = dir.file("executor.log")
        try FileManager.default.copyItem(atPath: Paths.sampleLog, toPath: log)
        let serve = try ServeProcess(
            args: ["--db", dir.file("l.db"), "--web.config.file", dir.file("web.yml"), log], dir: dir)
        defer { _ = serve.stop() }
        try #require(serve.port > 0, "serve did not start: \(serve.stderr)")
        #expect(serve.stderr.contains("serving https://127.0.0.1:\(serve.port)/"), "\(serve.stderr)")
        let base = "https://localhost:\(serve.port)"
        let ca = ["--cacert", dir.file("ca.crt")]

        let none = try Self.curl(ca + ["\(base)/metrics"])
        #expect(none.status == 401 && none.head.contains("WWW-Authenticate: Basic realm=\"runledger\""))
        #expect(none.head.contains("Strict-Transport-Security: max-age=31536000"))
        #expect(try Self.curl(ca + ["-u", "prometheus:wrong", "\(base)/api/runs"]).status == 401)
        let right = try Self.curl(ca + ["-u", "prometheus:scrape-secret", "\(base)/metrics"])
        #expect(right.status == 200 && right.body.contains("runledger_lines_total"), "\(right)")
        // The probe systemd or a load balancer makes has no credentials.
        #expect(try Self.curl(ca + ["\(base)/healthz"]).status != 401)
        // Plain HTTP on the TLS port gets no answer; nor does a client that does not trust the certificate.
        #expect(try Self.curl(["http://127.0.0.1:\(serve.port)/healthz"]).status == 0)
        #expect(try Self.curl(["\(base)/healthz"]).status == 0)

        let good = "runledger-good", bad = "runledger-bad"
        func job(_ name: String, password: String) -> String {
            """
              - job_name: \(name)
                scheme: https
                tls_config:
                  ca_file: \(dir.file("ca.crt"))
                  server_name: localhost
                basic_auth:
                  username: prometheus
                  password: \(password)
                static_configs:
                  - targets: ["127.0.0.1:\(serve.port)"]

            """
        }
        let config =
            PrometheusProcess.fastConfigWithRules + "scrape_configs:\n" + job(good, password: "scrape-secret")
            + job(bad, password: "guess")
        let prometheus = try PrometheusProcess(config: config, dir: dir)
        defer { prometheus.stop() }
        // Bounded, with room for a loaded machine.
        let scraped = prometheus.waitUntil(within: 60) {
            let up = prometheus.query("up") ?? []
            return up.contains { $0.labels["job"] == good && $0.value == 1 }
                && up.contains { $0.labels["job"] == bad && $0.value == 0 }
        }
        #expect(scraped, "up: \(prometheus.query("up") ?? []); \(prometheus.log.suffix(2000))")
        let lines = prometheus.query("runledger_lines_total{job=\"\(good)\"}") ?? []
        #expect(lines.contains { $0.value > 0 }, "\(lines)")
        #expect((prometheus.query("runledger_lines_total{job=\"\(bad)\"}") ?? []).isEmpty)
        // What the refused job's target page says: the 401 it got.
        let targets = prometheus.api("/api/v1/targets") as? [String: Any]
        let active = targets?["activeTargets"] as? [[String: Any]] ?? []
        let badError = active.first { ($0["labels"] as? [String: String])?["job"] == bad }?["lastError"] as? String
        #expect(badError?.contains("401") == true, "\(active)")
    }

    @Test func clientCertificatesAreRequiredWhenTheConfigSaysSo() throws {
        let dir = TempDir()
        try Self.makeCertificates(in: dir)
        try """
        tls_server_config:
          cert_file: \(dir.file("server.crt"))
          key_file: \(dir.file("server.key"))
          client_auth_type: RequireAndVerifyClientCert
          client_ca_file: \(dir.file("ca.crt"))
          min_version: TLS13
        """.write(toFile: dir.file("web.yml"), atomically: true, encoding: .utf8)
        let log = dir.file("executor.log")
        try "".write(toFile: log, atomically: true, encoding: .utf8)
        let serve = try ServeProcess(
            args: ["--db", dir.file("l.db"), "--web.config.file", dir.file("web.yml"), log], dir: dir)
        defer { _ = serve.stop() }
        try #require(serve.port > 0, "serve did not start: \(serve.stderr)")
        let url = "https://localhost:\(serve.port)/metrics"
        let ca = ["--cacert", dir.file("ca.crt")]
        let client = ["--cert", dir.file("client.crt"), "--key", dir.file("client.key")]
        #expect(try Self.curl(ca + [url]).status == 0)
        #expect(try Self.curl(ca + client + [url]).status == 200)
        // A certificate the client CA did not sign (the server's own CA signed it, but it is self-made here).
        let openssl = try which("openssl").orThrow("openssl")
        _ = try run(
            openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "stranger.key", "-out", "stranger.crt", "-days", "2", "-subj", "/CN=stranger",
            ], directory: dir.path)
        let stranger = ["--cert", dir.file("stranger.crt"), "--key", dir.file("stranger.key")]
        #expect(try Self.curl(ca + stranger + [url]).status == 0)
        // TLS 1.2 is below min_version.
        #expect(try Self.curl(ca + client + ["--tls-max", "1.2", url]).status == 0)
    }

    /// The common name of the certificate the server at `port` shows now.
    static func servedCommonName(port: Int) throws -> String {
        let r = try run(
            "/bin/sh",
            [
                "-c",
                "openssl s_client -connect 127.0.0.1:\(port) -servername localhost </dev/null 2>/dev/null"
                    + " | openssl x509 -noout -subject -nameopt multiline | sed -n 's/ *commonName *= //p'",
            ], timeout: 20)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A renewed certificate and a changed user list are taken on SIGHUP without a restart, as
    /// exporter-toolkit re-reads its file; a file that cannot be served, or asks for a TLS change that
    /// needs a restart, is refused in one line and the running one stays.
    @Test func sighupTakesARenewedCertificateAndNewUsersAndRefusesWhatItCannotServe() throws {
        let dir = TempDir()
        try Self.makeCertificates(in: dir)
        let web = dir.file("web.yml")
        func write(cert: String, user: String, hash: String, extra: String = "") throws {
            try """
            tls_server_config:
              cert_file: \(cert).crt
              key_file: \(cert).key
            \(extra)basic_auth_users:
              \(user): \(hash)
            """.write(toFile: web, atomically: true, encoding: .utf8)
        }
        let otherHash = "$2y$10$3GZemnd26AtncIwPsf/07.jDPKspfu/9f.dwTYHxtc6EIcfUdD61."
        try write(cert: "server", user: "prometheus", hash: Self.prometheusHash)
        let log = dir.file("executor.log")
        try "".write(toFile: log, atomically: true, encoding: .utf8)
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), "--web.config.file", web, log], dir: dir)
        defer { _ = serve.stop() }
        try #require(serve.port > 0, "serve did not start: \(serve.stderr)")
        let url = "https://localhost:\(serve.port)/api/runs"
        let ca = ["--cacert", dir.file("ca.crt")]
        func status(_ user: String, _ password: String) throws -> Int {
            try Self.curl(ca + ["-u", "\(user):\(password)", url]).status
        }
        #expect(try Self.servedCommonName(port: serve.port) == "server")
        #expect(try status("prometheus", "scrape-secret") == 200)
        #expect(try status("other", "hunter2") == 401)

        try write(cert: "server2", user: "other", hash: otherHash)
        kill(serve.process.processIdentifier, SIGHUP)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, try status("other", "hunter2") != 200 { usleep(100_000) }
        #expect(try status("other", "hunter2") == 200, "\(serve.stderr)")
        #expect(try status("prometheus", "scrape-secret") == 401)
        #expect(try Self.servedCommonName(port: serve.port) == "server2")
        #expect(serve.stderr.contains("settings changed: web_config"), "\(serve.stderr)")

        // Client certificates cannot be asked for on connections already being served: refused.
        let mtls = "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
        for (bad, said) in [
            (
                { try write(cert: "server", user: "prometheus", hash: Self.prometheusHash, extra: mtls) },
                "restart runledger"
            ),
            ({ try write(cert: "server", user: "prometheus", hash: "scrape-secret") }, "must be a bcrypt hash"),
        ] as [(() throws -> Void, String)] {
            let before = serve.stderr.components(separatedBy: "reload refused").count
            try bad()
            kill(serve.process.processIdentifier, SIGHUP)
            let until = Date().addingTimeInterval(20)
            while Date() < until, serve.stderr.components(separatedBy: "reload refused").count == before {
                usleep(50_000)
            }
            let refusal = serve.stderr.split(separator: "\n").last { $0.contains("reload refused") } ?? ""
            #expect(refusal.contains(said), "\(serve.stderr)")
            #expect(try status("other", "hunter2") == 200)
            #expect(try status("prometheus", "scrape-secret") == 401)
            #expect(try Self.servedCommonName(port: serve.port) == "server2")
        }
    }

    /// A web config that cannot be served stops serve before it listens, with one line naming the
    /// file and what is wrong, and exit status 1.
    @Test func aBadWebConfigStopsServeWithOneLine() throws {
        let dir = TempDir()
        try Self.makeCertificates(in: dir)
        let cases: [(String, String)] = [
            (
                "basic_auth_users:\n  prometheus: scrape-secret\n",
                "\"basic_auth_users.prometheus\" must be a bcrypt hash"
            ),
            (
                "tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n",
                "cannot read \(dir.file("missing.crt"))"
            ),
            // The client's key with the server's certificate.
            (
                "tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n",
                "does not go with its certificate"
            ),
            ("tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n", "server.key is not PEM"),
        ]
        for (yaml, expected) in cases {
            let web = dir.file("web.yml")
            try yaml.write(toFile: web, atomically: true, encoding: .utf8)
            let r = try run(
                Paths.binary,
                [
                    "serve", "--listen", "127.0.0.1:0", "--db", dir.file("l.db"), "--web.config.file", web,
                    dir.file("x.log"),
                ],
                timeout: 20)
            #expect(r.status == 1, "\(yaml): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("runledger: \(web): "), "\(r.stderr)")
            #expect(r.stderr.contains(expected), "\(yaml): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("l.db")), "the ledger was opened")
        }
    }
}
