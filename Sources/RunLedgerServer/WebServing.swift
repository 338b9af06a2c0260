import Hummingbird
import HummingbirdCore
import HummingbirdTLS

/// What `serve` does with a web config: the TLS server it listens with, and the middleware in
/// front of every route. Without a file, plain HTTP and no authentication, as before.
public struct WebServing: Sendable {
    public let config: WebConfig?
    public let auth: BasicAuthCheck?
    public let tls: TLSChannelConfiguration?

    public static let plain = WebServing(config: nil, auth: nil, tls: nil)

    /// Reads and checks the file, its certificates and its hashes: a mistake stops `serve` before it listens.
    public static func load(_ path: String?) async throws -> WebServing {
        guard let path else { return .plain }
        let config = try WebConfig.load(path)
        let tls = try config.tls?.channelConfiguration(file: path)
        let auth = config.requiresAuth ? await BasicAuthCheck(users: config.users) : nil
        return WebServing(config: config, auth: auth, tls: tls)
    }

    public var scheme: String { tls == nil ? "http" : "https" }

    /// The middleware to put before every route; nil when the config asks for nothing per request.
    public func middleware<Context: RequestContext>() -> WebConfigMiddleware<Context>? {
        guard auth != nil || !(config?.headers.isEmpty ?? true) else { return nil }
        return WebConfigMiddleware(auth: auth, headers: config?.headers ?? [:])
    }

    /// `base` wrapped in TLS when the config has `tls_server_config`.
    public func server(_ base: HTTPServerBuilder) throws -> HTTPServerBuilder {
        guard let tls else { return base }
        return try .tls(base, configuration: tls)
    }

    /// One line for an address other machines can reach with neither TLS nor authentication; nil otherwise.
    public func warning(host: String) -> String? {
        guard tls == nil, auth == nil, !Self.isLoopback(host) else { return nil }
        return "runledger: warning: serving \(host) with neither TLS nor basic auth: the ledger, its runs and "
            + "/metrics are open to the network (--web.config.file sets both; docs/web-config.md)"
    }

    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h.hasPrefix("127.") || h == "::1"
    }
}
