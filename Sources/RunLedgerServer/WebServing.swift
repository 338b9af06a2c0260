import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Synchronization

/// What `serve` does with a web config: the TLS server it listens with, and the middleware in front
/// of every route, both reading the config last loaded, so that a reload (SIGHUP) replaces the users,
/// the headers and the certificate and key without a restart, as exporter-toolkit re-reads its file.
/// Without a file: plain HTTP and no authentication, as before.
public final class WebServing: Sendable {
    /// One reading of the file, checked whole: its certificate and key, and the bcrypt check of its users.
    public struct Loaded: Sendable {
        public let config: WebConfig
        let identity: TLSIdentity?
        let rules: WebConfigMiddleware<BasicRequestContext>.Rules

        /// Reads and checks the file on the caller's thread (files, and one bcrypt hash).
        public init(file: String) throws {
            config = try WebConfig.load(file)
            identity = try config.tls?.identity(file: file)
            rules = .init(
                auth: config.requiresAuth ? BasicAuthCheck(users: config.users) : nil, headers: config.headers)
        }

        /// Tells one reading from another (within this process): what the file says and the certificate's bytes.
        public var fingerprint: String {
            var hasher = Hasher()
            for source in identity?.chain ?? [] {
                if case .certificate(let c) = source { hasher.combine((try? c.toDERBytes()) ?? []) }
            }
            return "\(config) \(hasher.finalize())"
        }
    }

    public let file: String?
    public let tls: TLSChannelConfiguration?
    /// The reading served now; nil without a file. Shared with the TLS handshake callback.
    private let current: Current?

    private final class Current: Sendable {
        let loaded: Mutex<Loaded>
        init(_ loaded: Loaded) { self.loaded = Mutex(loaded) }
        func withLock<T>(_ body: (inout Loaded) -> T) -> T { loaded.withLock { body(&$0) } }
    }

    public static let plain = WebServing()

    private init() {
        file = nil
        tls = nil
        current = nil
    }

    private init(file: String, loaded: Loaded) throws {
        self.file = file
        let current = Current(loaded)
        self.current = current
        if let tlsConfig = loaded.config.tls, let identity = loaded.identity {
            tls = try tlsConfig.channelConfiguration(file: file, first: identity) {
                current.withLock { $0.identity ?? identity }
            }
        } else {
            tls = nil
        }
    }

    /// Reads and checks the file, its certificates and its hashes, on bcrypt's thread (not the
    /// cooperative pool): a mistake stops `serve` before it listens.
    public static func load(_ path: String?) async throws -> WebServing {
        guard let path else { return .plain }
        return try await BasicAuthCheck.pool.runIfActive { try WebServing(file: path, loaded: Loaded(file: path)) }
    }

    /// The running reading's fingerprint, for a reload to tell whether the file changed; nil without a file.
    public var fingerprint: String? { current?.withLock { $0.fingerprint } }

    public var scheme: String { tls == nil ? "http" : "https" }

    /// The middleware to put before every route when a file is given (a reload may add users or
    /// headers to a file that had none); nil without a file.
    public func middleware() -> WebConfigMiddleware<BasicRequestContext>? {
        guard let current else { return nil }
        return WebConfigMiddleware { current.withLock { $0.rules } }
    }

    /// A reload's reading of the file, refused when it asks for what cannot change while serving:
    /// TLS turned on or off, or other client CAs, client auth, versions, suites or curves.
    public func reread() throws -> Loaded? {
        guard let file, let current else { return nil }
        let next = try Loaded(file: file)
        let running = current.withLock { $0.config.tls?.fixedPart }
        if running != next.config.tls?.fixedPart {
            throw WebConfigError(
                "\(file): tls_server_config changed beyond cert_file and key_file (TLS on or off, client CAs, "
                    + "client_auth_type, versions, suites or curves); restart runledger to apply it")
        }
        return next
    }

    /// Serves `next` from the next request and handshake on.
    public func activate(_ next: Loaded) {
        current?.withLock { $0 = next }
    }

    /// `base` wrapped in TLS when the config has `tls_server_config`.
    public func server(_ base: HTTPServerBuilder) throws -> HTTPServerBuilder {
        guard let tls else { return base }
        return try .tls(base, configuration: tls)
    }

    /// One line for an address other machines can reach with neither TLS nor authentication; nil otherwise.
    public func warning(host: String) -> String? {
        let auth = current?.withLock { $0.config.requiresAuth } ?? false
        guard tls == nil, !auth, !Self.isLoopback(host) else { return nil }
        return "runledger: warning: serving \(host) with neither TLS nor basic auth: the ledger, its runs and "
            + "/metrics are open to the network (--web.config.file sets both; docs/web-config.md)"
    }

    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h.hasPrefix("127.") || h == "::1"
    }
}
