import Foundation
import Yams

/// `--web.config.file`: the web configuration of the Prometheus exporter-toolkit (the YAML that
/// Prometheus, node_exporter and Alertmanager read), so that one file serves them all:
///
/// ```yaml
/// tls_server_config:
///   cert_file: server.crt        # relative paths: from this file's directory
///   key_file: server.key
///   client_auth_type: NoClientCert
///   client_ca_file: clients.crt
///   min_version: TLS12
/// http_server_config:
///   headers:
///     Strict-Transport-Security: max-age=31536000
/// basic_auth_users:
///   prometheus: $2y$10$...      # bcrypt
/// ```
///
/// Only reading and checking happen here; `WebConfig+TLS.swift` turns `tls` into a server context and
/// `BasicAuthMiddleware.swift` enforces `users` and `headers`.
public struct WebConfig: Sendable, Equatable {
    /// exporter-toolkit's names for Go's `tls.ClientAuthType`.
    public enum ClientAuth: String, Sendable, CaseIterable {
        case noClientCert = "NoClientCert"
        case requestClientCert = "RequestClientCert"
        case requireAnyClientCert = "RequireAnyClientCert"
        case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerifyClientCert = "RequireAndVerifyClientCert"
    }

    public enum TLSVersion: String, Sendable, CaseIterable, Comparable {
        case tls10 = "TLS10", tls11 = "TLS11", tls12 = "TLS12", tls13 = "TLS13"

        public static func < (a: Self, b: Self) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// Where a PEM comes from: a file (absolute once loaded) or the text itself (`cert:`, `key:`, `client_ca:`).
    public enum PEM: Sendable, Equatable {
        case file(String)
        case text(String)
    }

    public struct TLS: Sendable, Equatable {
        public var certificate: PEM
        public var key: PEM
        public var clientCA: PEM?
        public var clientAuth: ClientAuth = .noClientCert
        /// exporter-toolkit's defaults: TLS 1.2 to 1.3.
        public var minVersion: TLSVersion = .tls12
        public var maxVersion: TLSVersion = .tls13
        /// Go's names (IANA's), TLS 1.2 and below; empty: the library's default list.
        public var cipherSuites: [String] = []
        /// Go's names: CurveP256, CurveP384, CurveP521, X25519; empty: the library's default.
        public var curves: [String] = []
    }

    /// The file it was read from, for messages.
    public var file: String
    /// nil: plain HTTP.
    public var tls: TLS?
    /// User name → bcrypt hash. Empty: no authentication.
    public var users: [String: String] = [:]
    /// Added to every response, `/healthz` and refusals included.
    public var headers: [String: String] = [:]

    public var requiresAuth: Bool { !users.isEmpty }

    public init(file: String, tls: TLS? = nil, users: [String: String] = [:], headers: [String: String] = [:]) {
        self.file = file
        self.tls = tls
        self.users = users
        self.headers = headers
    }

    /// Reads the file; relative certificate paths resolve against its directory, as exporter-toolkit does.
    public static func load(_ path: String) throws -> WebConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WebConfigError("\(path): cannot read the web config file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw WebConfigError("\(path): the web config file is not UTF-8")
        }
        return try parse(text, file: path)
    }

    /// Parses the YAML. Every error is one line naming the file and the key.
    public static func parse(_ text: String, file: String) throws -> WebConfig {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw WebConfigError("\(file): not valid YAML (\(String(describing: error).split(separator: "\n")[0]))")
        }
        var config = WebConfig(file: file)
        // An empty file is a valid config: plain HTTP, no auth (exporter-toolkit accepts it too).
        guard let root, !isNull(root) else { return config }
        let r = Reader(file: file)
        let top = try r.mapping(root, "", known: topKeys)
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        if let node = top["tls_server_config"] { config.tls = try r.tls(node, directory: directory) }
        if let node = top["http_server_config"] {
            let http = try r.mapping(node, "http_server_config", known: ["headers", "http2"])
            // HTTP/2 is Go's to offer; RunLedger speaks HTTP/1.1, which every scraper speaks too.
            if let h2 = http["http2"] { _ = try r.bool(h2, "http_server_config.http2") }
            if let h = http["headers"] { config.headers = try r.headers(h) }
        }
        if let node = top["basic_auth_users"] { config.users = try r.users(node) }
        return config
    }

    static let topKeys = ["tls_server_config", "http_server_config", "basic_auth_users"]
    static let tlsKeys = [
        "cert_file", "key_file", "cert", "key", "client_ca_file", "client_ca", "client_auth_type", "min_version",
        "max_version", "cipher_suites", "curve_preferences", "prefer_server_cipher_suites",
    ]
    /// exporter-toolkit's own keys that RunLedger does not implement: refused by name rather than ignored,
    /// so that a file relying on them is not served with less protection than it asks for.
    static let unsupported = [
        "rate_limit": "rate limiting", "tls_server_config.client_allowed_sans": "matching client certificate SANs",
    ]

    /// The only headers exporter-toolkit lets a config set, with the values it allows (nil: any).
    static let allowedHeaders: [String: [String]?] = [
        "Strict-Transport-Security": nil, "X-Content-Type-Options": ["nosniff"],
        "X-Frame-Options": ["deny", "sameorigin"], "X-XSS-Protection": nil, "Content-Security-Policy": nil,
    ]
    static let curveNames = ["CurveP256", "CurveP384", "CurveP521", "X25519"]
}

public struct WebConfigError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ message: String) { description = message }
}

private func isNull(_ node: Node) -> Bool {
    if case .scalar = node, node.null != nil { return true }
    return false
}

/// Typed reads of YAML nodes that name the file and the dotted key when a value is wrong.
private struct Reader {
    let file: String

    func fail(_ key: String, _ problem: String) -> WebConfigError {
        WebConfigError("\(file): \"\(key)\" \(problem)")
    }

    /// A mapping with string keys, every key among `known` (or refused with one line).
    func mapping(_ node: Node, _ path: String, known: [String]) throws -> [String: Node] {
        guard let m = node.mapping else {
            throw path.isEmpty
                ? WebConfigError("\(file): the top level must be a mapping")
                : fail(path, "must be a mapping")
        }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard case .scalar = k, let key = k.string else { throw fail(path, "has a key that is not a string") }
            let dotted = path.isEmpty ? key : "\(path).\(key)"
            if let what = WebConfig.unsupported[dotted] {
                throw WebConfigError("\(file): \"\(dotted)\" (\(what)) is not supported by RunLedger")
            }
            guard known.contains(key) else {
                throw WebConfigError(
                    "\(file): unknown key \"\(dotted)\" (known: \(known.sorted().joined(separator: ", ")))")
            }
            // `key:` with nothing after it means unset, as in Go's YAML decoder.
            if !isNull(v) { out[key] = v }
        }
        return out
    }

    func string(_ node: Node, _ key: String) throws -> String {
        guard case .scalar = node, let s = node.string else { throw fail(key, "must be a string") }
        return s
    }

    func bool(_ node: Node, _ key: String) throws -> Bool {
        guard case .scalar = node, let b = node.bool else { throw fail(key, "must be true or false") }
        return b
    }

    func strings(_ node: Node, _ key: String) throws -> [String] {
        guard let seq = node.sequence else { throw fail(key, "must be a list") }
        return try seq.map { try string($0, key) }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ key: String, _: T.Type) throws -> T
    where T.RawValue == String {
        let s = try string(node, key)
        guard let value = T(rawValue: s) else {
            throw fail(key, "is \"\(s)\"; one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    func tls(_ node: Node, directory: String) throws -> WebConfig.TLS? {
        let m = try mapping(node, "tls_server_config", known: WebConfig.tlsKeys)
        func text(_ key: String) throws -> String? {
            let s = try m[key].map { try string($0, "tls_server_config.\(key)") }
            return s?.isEmpty == false ? s : nil
        }
        func pem(file fileKey: String, text textKey: String) throws -> WebConfig.PEM? {
            let path = try text(fileKey), inline = try text(textKey)
            if path != nil, inline != nil {
                throw WebConfigError(
                    "\(file): \"tls_server_config.\(fileKey)\" and \"tls_server_config.\(textKey)\" are both set; "
                        + "give one")
            }
            if let path { return .file(path.hasPrefix("/") ? path : directory + "/" + path) }
            return inline.map { .text($0) }
        }
        let certificate = try pem(file: "cert_file", text: "cert")
        let key = try pem(file: "key_file", text: "key")
        let clientCA = try pem(file: "client_ca_file", text: "client_ca")
        let authText = try text("client_auth_type")
        // exporter-toolkit's test for "TLS is on": any of these set. With none, the server is plain HTTP.
        guard certificate != nil || key != nil || clientCA != nil || authText != nil else { return nil }
        guard let certificate else { throw fail("tls_server_config", "needs cert_file (or cert)") }
        guard let key else { throw fail("tls_server_config", "needs key_file (or key)") }
        var tls = WebConfig.TLS(certificate: certificate, key: key, clientCA: clientCA)
        if let authNode = m["client_auth_type"], let authText {
            // The old name exporter-toolkit still accepts for RequireAnyClientCert.
            tls.clientAuth =
                authText == "RequireClientCert"
                ? .requireAnyClientCert
                : try choice(authNode, "tls_server_config.client_auth_type", WebConfig.ClientAuth.self)
        }
        if clientCA != nil, tls.clientAuth == .noClientCert {
            throw fail("tls_server_config.client_ca_file", "is set but client_auth_type is NoClientCert")
        }
        if let v = m["min_version"] {
            tls.minVersion = try choice(v, "tls_server_config.min_version", WebConfig.TLSVersion.self)
        }
        if let v = m["max_version"] {
            tls.maxVersion = try choice(v, "tls_server_config.max_version", WebConfig.TLSVersion.self)
        }
        guard tls.minVersion <= tls.maxVersion else {
            throw fail("tls_server_config.min_version", "is above max_version")
        }
        if let v = m["cipher_suites"] {
            tls.cipherSuites = try strings(v, "tls_server_config.cipher_suites")
            for name in tls.cipherSuites where WebConfig.cipherSuiteCodes[name] == nil {
                throw fail("tls_server_config.cipher_suites", "names an unknown cipher suite \"\(name)\"")
            }
        }
        if let v = m["curve_preferences"] {
            tls.curves = try strings(v, "tls_server_config.curve_preferences")
            for name in tls.curves where !WebConfig.curveNames.contains(name) {
                throw fail(
                    "tls_server_config.curve_preferences",
                    "names an unknown curve \"\(name)\" (known: \(WebConfig.curveNames.joined(separator: ", ")))")
            }
        }
        // Go's server has preferred its own order since 1.17 whatever this says; so does BoringSSL's here.
        if let v = m["prefer_server_cipher_suites"] { _ = try bool(v, "tls_server_config.prefer_server_cipher_suites") }
        return tls
    }

    func headers(_ node: Node) throws -> [String: String] {
        let m = try mapping(node, "http_server_config.headers", known: WebConfig.allowedHeaders.keys.sorted())
        var out: [String: String] = [:]
        for (name, v) in m {
            let value = try string(v, "http_server_config.headers.\(name)")
            if let allowed = WebConfig.allowedHeaders[name] ?? nil, !allowed.contains(value) {
                throw fail(
                    "http_server_config.headers.\(name)", "is \"\(value)\"; one of \(allowed.joined(separator: ", "))")
            }
            out[name] = value
        }
        return out
    }

    func users(_ node: Node) throws -> [String: String] {
        guard let m = node.mapping else { throw fail("basic_auth_users", "must be a mapping of user: bcrypt hash") }
        var out: [String: String] = [:]
        for (k, v) in m {
            guard case .scalar = k, let user = k.string else { throw fail("basic_auth_users", "has a non-string user") }
            let hash = try string(v, "basic_auth_users.\(user)")
            guard BcryptHash.isWellFormed(hash) else {
                throw fail(
                    "basic_auth_users.\(user)",
                    "must be a bcrypt hash ($2y$10$…, from `htpasswd -nBC 10 \"\" | tr -d ':'`), not a password")
            }
            out[user] = hash
        }
        return out
    }
}

enum BcryptHash {
    /// `$2a$`, `$2b$` or `$2y$`, a two-digit cost from 4 to 31, then 53 characters of bcrypt's base64
    /// (22 of salt, 31 of hash): what Go's `bcrypt.Cost` accepts.
    static func isWellFormed(_ hash: String) -> Bool {
        let b = Array(hash.utf8)
        guard b.count == 60, b[0] == UInt8(ascii: "$"), b[1] == UInt8(ascii: "2"),
            [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(b[2]), b[3] == UInt8(ascii: "$"),
            b[6] == UInt8(ascii: "$"), let cost = cost(hash), (4...31).contains(cost)
        else { return false }
        return b[7...].allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".")
                || c == UInt8(ascii: "/")
        }
    }

    static func cost(_ hash: String) -> UInt8? {
        let b = Array(hash.utf8)
        guard b.count > 6 else { return nil }
        return UInt8(String(decoding: b[4...5], as: UTF8.self))
    }
}
