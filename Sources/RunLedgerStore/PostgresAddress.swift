import CPostgres
import Foundation

/// A PostgreSQL connection string (`postgresql://…`, `postgres://…` or libpq's `key=value …` form),
/// parsed by libpq itself so that RunLedger accepts exactly what `psql` accepts. It knows which of its
/// values are secrets, so that no message RunLedger writes carries one.
public struct PostgresAddress: Sendable {
    /// The parameters as given (libpq's keywords, e.g. `host`, `dbname`, `password`).
    public let parameters: [(keyword: String, value: String)]
    /// The values libpq marks as passwords, and PGPASSWORD: removed from every message.
    let secrets: [String]

    /// Whether `value` is written as a connection string rather than a file path.
    public static func looksLikeConnectionString(_ value: String) -> Bool {
        let v = value.trimmingCharacters(in: .whitespaces)
        if v.hasPrefix("postgresql://") || v.hasPrefix("postgres://") { return true }
        // libpq's keyword form starts with a keyword and `=` (`host=db dbname=x`); a path never does
        // unless it is a bare relative name such as `a=b.db` (write `./a=b.db`).
        guard let eq = v.firstIndex(of: "=") else { return false }
        let keyword = v[..<eq].trimmingCharacters(in: .whitespaces)
        return !keyword.isEmpty && keyword.allSatisfy { $0.isASCII && ($0.isLetter || $0 == "_") }
    }

    public init(_ conninfo: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &error) else {
            let message = error.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(error)
            let secrets = Self.passwordsWritten(in: conninfo)
            throw LedgerError(
                "not a valid PostgreSQL connection string: \(Self.redact(Self.firstLine(message), secrets))")
        }
        defer { PQconninfoFree(options) }
        var parameters: [(keyword: String, value: String)] = []
        var secrets: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parameters.append((String(cString: keyword), String(cString: value)))
                if let disp = option.pointee.dispchar, String(cString: disp) == "*" {
                    secrets.append(String(cString: value))
                }
            }
            option += 1
        }
        if let env = ProcessInfo.processInfo.environment["PGPASSWORD"] { secrets.append(env) }
        self.parameters = parameters
        self.secrets = secrets.filter { !$0.isEmpty }
        // libpq checks the port only when it connects; a typo there is worth saying at startup.
        if let port = value("port"),
            !port.split(separator: ",", omittingEmptySubsequences: false).allSatisfy({
                $0.isEmpty || UInt16($0).map { $0 > 0 } == true
            })
        {
            throw LedgerError("not a valid PostgreSQL connection string: invalid port \"\(redact(port))\"")
        }
    }

    public func value(_ keyword: String) -> String? { parameters.last { $0.keyword == keyword }?.value }

    /// How messages name the database: `postgresql://user@host:port/dbname`, never the password.
    public var displayName: String {
        let user = value("user").map { $0 + "@" } ?? ""
        let host = (value("host") ?? value("hostaddr") ?? "").replacingOccurrences(of: "/", with: "%2F")
        let port = value("port").map { ":" + $0 } ?? ""
        let db = value("dbname").map { "/" + $0 } ?? ""
        return redact("postgresql://\(user)\(host)\(port)\(db)")
    }

    /// `text` with every secret of this address replaced by `***`.
    public func redact(_ text: String) -> String { Self.redact(text, secrets) }

    static func redact(_ text: String, _ secrets: [String]) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }

    /// libpq's messages run over several lines (hints, one line per host tried): the first says it.
    static func firstLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }

    /// The password written in a string libpq could not parse (so it cannot tell us): the URI's
    /// `user:password@` part, or a `password=` keyword, found by hand to keep it out of the message.
    static func passwordsWritten(in conninfo: String) -> [String] {
        var found: [String] = []
        if let scheme = conninfo.range(of: "://") {
            let rest = conninfo[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                found.append(String(authority[authority.index(after: colon)..<at]))
            }
        }
        for key in ["password", "sslpassword"] {
            var search = conninfo[...]
            while let r = search.range(of: key) {
                let tail = search[r.upperBound...].drop { $0 == " " }
                if tail.first == "=" {
                    let value = tail.dropFirst().drop { $0 == " " }
                    let quoted = value.first == "'"
                    let body = quoted ? value.dropFirst() : value
                    found.append(String(body.prefix { quoted ? $0 != "'" : !$0.isWhitespace && $0 != "&" }))
                }
                search = search[r.upperBound...]
            }
        }
        return (found + found.compactMap { $0.removingPercentEncoding }).filter { !$0.isEmpty }
    }
}
