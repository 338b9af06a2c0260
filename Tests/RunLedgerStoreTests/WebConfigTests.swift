import Foundation
import HTTPTypes
import Hummingbird
import RunLedgerServer
import Testing

/// `--web.config.file`: what is read from exporter-toolkit's YAML, what is refused (one line naming
/// the file and the key), and what the basic-auth check and the middleware answer, through the router
/// `serve` runs. The TLS half is driven end to end in `WebConfigEndToEndTests`.
@Suite struct WebConfigTests {
    /// `htpasswd -nbBC 10 prometheus scrape-secret` (apache2-utils), as exporter-toolkit's docs make them.
    static let prometheusHash = "$2y$10$J0n./6I8GM84Rjd2SLiDqOoOJVahwb03fYz8qxvzflhZK7ug691/K"
    /// `htpasswd -nbBC 10 other hunter2`.
    static let otherHash = "$2y$10$3GZemnd26AtncIwPsf/07.jDPKspfu/9f.dwTYHxtc6EIcfUdD61."

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test func aFullConfigReadsAsExporterToolkitMeansIt() throws {
        let yaml = """
            tls_server_config:
              cert_file: certs/server.crt
              key_file: /etc/runledger/server.key
              client_ca_file: clients.crt
              client_auth_type: RequireClientCert
              min_version: TLS13
              cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
              curve_preferences: [X25519, CurveP256]
              prefer_server_cipher_suites: true
            http_server_config:
              http2: true
              headers:
                Strict-Transport-Security: max-age=31536000
                X-Frame-Options: deny
            basic_auth_users:
              prometheus: \(Self.prometheusHash)
              other: \(Self.otherHash)
            """
        let config = try WebConfig.parse(yaml, file: "/etc/runledger/web.yml")
        let tls = try #require(config.tls)
        // Relative paths are the config file's directory's, as in exporter-toolkit.
        #expect(tls.certificate == .file("/etc/runledger/certs/server.crt"))
        #expect(tls.key == .file("/etc/runledger/server.key"))
        #expect(tls.clientCA == .file("/etc/runledger/clients.crt"))
        // The old name exporter-toolkit still takes.
        #expect(tls.clientAuth == .requireAnyClientCert)
        #expect(tls.minVersion == .tls13 && tls.maxVersion == .tls13)
        #expect(tls.cipherSuites == ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"])
        #expect(tls.curves == ["X25519", "CurveP256"])
        #expect(config.headers == ["Strict-Transport-Security": "max-age=31536000", "X-Frame-Options": "deny"])
        #expect(config.users == ["prometheus": Self.prometheusHash, "other": Self.otherHash])
    }

    @Test func anEmptyFileOrOnlyHeadersIsPlainHTTP() throws {
        #expect(try WebConfig.parse("", file: "w.yml") == WebConfig(file: "w.yml"))
        let headersOnly = try WebConfig.parse(
            "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n", file: "w.yml")
        #expect(headersOnly.tls == nil && !headersOnly.requiresAuth)
        // Empty TLS keys, as exporter-toolkit's own examples leave them: TLS stays off.
        #expect(try WebConfig.parse("tls_server_config:\n  cert_file: \"\"\n  key_file:\n", file: "w.yml").tls == nil)
    }

    /// Each mistake an operator makes, and the one line that names it. A key RunLedger does not
    /// implement is refused rather than ignored: a file asking for it must not be served with less.
    @Test(arguments: [
        ("tls_server_config:\n  cert_file: a.crt\n  keyfile: a.key\n", "unknown key \"tls_server_config.keyfile\""),
        ("basic_auth_user:\n  a: b\n", "unknown key \"basic_auth_user\""),
        ("rate_limit:\n  interval: 1s\n", "\"rate_limit\" (rate limiting) is not supported"),
        (
            "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_allowed_sans: [x]\n",
            "\"tls_server_config.client_allowed_sans\" (matching client certificate SANs) is not supported"
        ),
        ("basic_auth_users:\n  prometheus: scrape-secret\n", "\"basic_auth_users.prometheus\" must be a bcrypt hash"),
        ("tls_server_config:\n  cert_file: a.crt\n", "\"tls_server_config\" needs key_file"),
        (
            "tls_server_config:\n  cert_file: a\n  cert: b\n  key_file: c\n",
            "\"tls_server_config.cert_file\" and \"tls_server_config.cert\" are both set"
        ),
        (
            "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
            "\"tls_server_config.client_ca_file\" is set but client_auth_type is NoClientCert"
        ),
        (
            "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Always\n",
            "\"tls_server_config.client_auth_type\" is \"Always\"; one of NoClientCert"
        ),
        (
            "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n",
            "\"tls_server_config.min_version\" is above max_version"
        ),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [RC4]\n", "unknown cipher suite \"RC4\""),
        (
            "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
            "\"http_server_config.headers.X-Frame-Options\" is \"allow\""
        ),
        (
            "http_server_config:\n  headers:\n    Server: runledger\n",
            "unknown key \"http_server_config.headers.Server\""
        ),
        ("- a\n- b\n", "the top level must be a mapping"),
        ("basic_auth_users: [\n", "not valid YAML"),
    ])
    func aMistakeIsOneLineNamingTheFileAndTheKey(yaml: String, expected: String) {
        do {
            _ = try WebConfig.parse(yaml, file: "/etc/runledger/web.yml")
            Issue.record("accepted: \(yaml)")
        } catch {
            let line = "\(error)"
            #expect(line.hasPrefix("/etc/runledger/web.yml: "), "\(line)")
            #expect(line.contains(expected), "\(line)")
            #expect(!line.contains("\n"), "\(line)")
        }
    }

    @Test func basicAuthAllowsTheRightPasswordOnlyAndTakesHtpasswdHashes() async {
        let check = BasicAuthCheck(users: ["prometheus": Self.prometheusHash, "other": Self.otherHash])
        #expect(await check.allows(authorization: Self.basic("prometheus", "scrape-secret")))
        #expect(await check.allows(authorization: Self.basic("other", "hunter2")))
        // Cached after the first success; a wrong password is still refused, and never cached.
        #expect(await check.allows(authorization: Self.basic("prometheus", "scrape-secret")))
        for _ in 0..<2 { #expect(await !check.allows(authorization: Self.basic("prometheus", "hunter2"))) }
        #expect(await !check.allows(authorization: Self.basic("nobody", "scrape-secret")))
        #expect(await !check.allows(authorization: Self.basic("prometheus", "")))
        #expect(await !check.allows(authorization: nil))
        #expect(await !check.allows(authorization: "Bearer x"))
        #expect(await !check.allows(authorization: "Basic not-base64!"))
        // The scheme's name in any case (RFC 7617).
        #expect(
            await check.allows(authorization: "basic " + Data("prometheus:scrape-secret".utf8).base64EncodedString()))
    }

    @Test func theRouterRefusesEveryPathButHealthzWithoutCredentialsAndHeadersGoOnEveryAnswer() async throws {
        let auth = BasicAuthCheck(users: ["prometheus": Self.prometheusHash])
        let middleware = WebConfigMiddleware<BasicRequestContext>(
            auth: auth, headers: ["X-Content-Type-Options": "nosniff", "Strict-Transport-Security": "max-age=60"])
        let http = try HTTPReads(InMemoryLedgerBackend(store: InMemoryLedgerStore()), webConfig: middleware)
        let right: HTTPFields = [.authorization: Self.basic("prometheus", "scrape-secret")]
        let wrong: HTTPFields = [.authorization: Self.basic("prometheus", "nope")]
        for path in ["/metrics", "/", "/api/runs", "/runs/x", "/no-such-page"] {
            for headers in [HTTPFields(), wrong] {
                let answer = try await http.get(path, headers: headers)
                #expect(answer.status == 401, "\(path)")
                #expect(answer.headers["WWW-Authenticate"] == "Basic realm=\"runledger\"")
                #expect(answer.headers["X-Content-Type-Options"] == "nosniff")
                // A refusal says nothing of the ledger.
                #expect(answer.body == "Unauthorized\n")
            }
        }
        let metrics = try await http.get("/metrics", headers: right)
        #expect(metrics.status == 200 && metrics.body.contains("runledger_build_info"))
        #expect(metrics.headers["Strict-Transport-Security"] == "max-age=60")
        // A liveness probe has no credentials (503 here: the one source has not been read yet).
        let health = try await http.get("/healthz")
        #expect(health.status == 503 && health.body.contains("\"status\":\"degraded\""), "\(health)")
        #expect(health.headers["X-Content-Type-Options"] == "nosniff")
        // An answer the routes make with credentials, a 404, carries the headers too.
        let missing = try await http.get("/no-such-page", headers: right)
        #expect(missing.status == 404 && missing.headers["X-Content-Type-Options"] == "nosniff")
    }

    @Test func onlyAnOpenNonLoopbackAddressIsWarnedAbout() throws {
        let open = try #require(WebServing.plain.warning(host: "0.0.0.0"))
        #expect(open.contains("neither TLS nor basic auth"))
        #expect(WebServing.plain.warning(host: "192.0.2.7") != nil)
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1"] {
            #expect(WebServing.plain.warning(host: host) == nil)
        }
    }
}
