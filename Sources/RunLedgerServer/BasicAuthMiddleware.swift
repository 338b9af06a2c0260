import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// Basic credentials checked against the web config's bcrypt hashes.
///
/// Every presented credential costs one bcrypt verify, for a user that exists or not (an unknown user
/// is checked against a hash of a random password at the users' cost), so the time of a refusal does
/// not tell a wrong name from a wrong password. Verifies run one at a time on a thread of their own:
/// bcrypt is ~50 ms of CPU at cost 10, and a flood of wrong passwords must not take every core.
public final class BasicAuthCheck: Sendable {
    private let users: [String: String]
    private let unknownUserHash: String
    /// Credentials that verified (exporter-toolkit keeps such a cache too): a scraper that sends the
    /// same password every 15 s pays for bcrypt once. Failures are never cached, so guessing stays slow.
    private let verified = Mutex(Set<Credentials>())
    static let cacheLimit = 64

    struct Credentials: Hashable {
        let user: String
        let password: String
    }

    /// Bcrypt's one thread, started once for the process.
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// - Parameter users: user name → bcrypt hash (`$2a$`, `$2b$` or `$2y$`). One bcrypt hash is made
    ///   here, on the caller's thread: call it from a thread of its own (`WebServing.load` does).
    public init(users: [String: String]) {
        // `$2y$` (htpasswd, PHP) is `$2b$` under another name; the C bcrypt here knows only `$2a$` and `$2b$`.
        self.users = users.mapValues(Self.canonical)
        let costs = users.values.compactMap(BcryptHash.cost)
        // The users' most common cost (the higher on a tie), so an unknown name costs what a known one does.
        let usual = Dictionary(grouping: costs, by: { $0 }).max { a, b in
            (a.value.count, a.key) < (b.value.count, b.key)
        }
        let cost = usual?.key ?? 10
        let random = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 36) }.joined()
        unknownUserHash = Bcrypt.hash(random, cost: cost)
    }

    static func canonical(_ hash: String) -> String {
        hash.hasPrefix("$2y$") ? "$2b$" + hash.dropFirst(4) : hash
    }

    /// Whether an `Authorization` header names a user and that user's password.
    public func allows(authorization: String?) async -> Bool {
        guard let credentials = Self.credentials(authorization) else { return false }
        if verified.withLock({ $0.contains(credentials) }) { return true }
        let known = users[credentials.user]
        let hash = known ?? unknownUserHash
        let matches = (try? await Self.pool.runIfActive { Bcrypt.verify(credentials.password, hash: hash) }) ?? false
        guard matches, known != nil else { return false }
        verified.withLock {
            if $0.count >= Self.cacheLimit { $0.removeAll() }
            $0.insert(credentials)
        }
        return true
    }

    /// `Basic base64(user:password)`; the scheme's name in any case (RFC 7617).
    static func credentials(_ header: String?) -> Credentials? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let data = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return Credentials(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }
}

/// The web config's part of every answer: Basic authentication on every path but `/healthz` (a
/// liveness probe has no credentials), and `http_server_config.headers` on every response, refusals
/// and errors included, as exporter-toolkit does. Both are read per request from `rules`, which a
/// reload replaces.
public struct WebConfigMiddleware<Context: RequestContext>: RouterMiddleware {
    /// What one request is checked against.
    public struct Rules: Sendable {
        public let auth: BasicAuthCheck?
        public let headers: HTTPFields

        public init(auth: BasicAuthCheck?, headers: [String: String]) {
            self.auth = auth
            var fields = HTTPFields()
            for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
                if let field = HTTPField.Name(name) { fields[field] = value }
            }
            self.headers = fields
        }
    }

    let rules: @Sendable () -> Rules

    public init(rules: @escaping @Sendable () -> Rules) { self.rules = rules }

    /// Fixed rules (tests).
    public init(auth: BasicAuthCheck?, headers: [String: String]) {
        let fixed = Rules(auth: auth, headers: headers)
        rules = { fixed }
    }

    public static var exemptPath: String { "/healthz" }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let rules = rules()
        var response: Response
        if let auth = rules.auth, request.uri.path != Self.exemptPath,
            await !auth.allows(authorization: request.headers[.authorization])
        {
            // The same answer for no credentials, an unknown user and a wrong password.
            response = Response(
                status: .unauthorized,
                headers: [.wwwAuthenticate: "Basic realm=\"runledger\"", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "Unauthorized\n")))
        } else {
            do { response = try await next(request, context) } catch let error as HTTPResponseError {
                response = try error.response(from: request, context: context)
            }
        }
        for field in rules.headers { response.headers[field.name] = field.value }
        return response
    }
}
