import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where a ledger lives, and how to open the three kinds of connection to it. The commands and `serve`
/// open every ledger through one (`LedgerBackends.open`); nothing above this names a storage engine.
///
/// Each call opens a connection of its own, for one thread at a time; several may be open at once,
/// on different threads, to the same ledger.
public protocol LedgerBackend: Sendable {
    /// How messages name the ledger (a path; an address without its password).
    var location: String { get }
    /// The ingest side's connection, which creates the ledger if it is missing: it commits batches
    /// (runs, positions, rollups and the alerts they raise), and can read and deliver them too (the
    /// commands that write use one connection for all of it).
    func openWriter() throws -> any LedgerStore & LedgerQueries & OutboxStore
    /// A connection that only reads, for the HTTP API, the pages and the commands. It never creates
    /// the ledger: one that is not there is an error saying so.
    func openReader() throws -> any LedgerQueries
    /// The notifier's connection: due deliveries and their outcomes.
    func openOutbox() throws -> any OutboxStore
}

/// The `--db` location to backend map: the one place a new backend is wired in.
public enum LedgerBackends {
    /// A backend for a location, and the instance name this process writes under (`--instance`).
    public typealias Make = @Sendable (_ location: String, _ instance: String) throws -> any LedgerBackend

    /// Backends chosen by a URL scheme (`SCHEME://…`, any case), each given the whole location; libpq's
    /// keyword form (`host=db dbname=runledger`) is PostgreSQL too; anything else is the path of an
    /// SQLite ledger.
    public static let byScheme: [String: Make] = [
        "postgresql": { try PostgresLedgerBackend($0, instance: $1) },
        "postgres": { try PostgresLedgerBackend($0, instance: $1) },
    ]

    /// This host's name: the instance a process writes under unless told otherwise.
    public static var defaultInstance: String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "localhost" }
        let host = String(cString: name)
        return host.isEmpty ? "localhost" : host
    }

    /// The backend for `location`. A location of another scheme than those of `schemes` is an error of
    /// one line that names it (never a file or directory named `foo:` made beside the working directory).
    public static func open(
        _ location: String, instance: String = defaultInstance, schemes: [String: Make] = byScheme
    ) throws -> any LedgerBackend {
        guard let scheme = scheme(of: location) else {
            if PostgresAddress.looksLikeConnectionString(location), let make = schemes["postgresql"] {
                return try make(location, instance)
            }
            return SQLiteLedgerBackend(path: location)
        }
        guard let make = schemes[scheme.lowercased()] else {
            let others = schemes.keys.sorted().map { ", or \($0)://…" }.joined()
            throw LedgerError(
                "\(location): no ledger backend for \(scheme):// (a ledger is the path of an SQLite file\(others))")
        }
        return try make(location, instance)
    }

    /// The scheme of `SCHEME://…` (RFC 3986: a letter, then letters, digits, `+`, `-` or `.`), or nil
    /// for a path: `./x.db`, `/tmp/a://b` and `data/x.db` have none.
    static func scheme(of location: String) -> String? {
        guard let end = location.range(of: "://")?.lowerBound else { return nil }
        let scheme = location[..<end].unicodeScalars
        guard let first = scheme.first, first.isASCIILetter,
            scheme.allSatisfy({ $0.isASCIILetter || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0) })
        else { return nil }
        return String(scheme)
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}

/// The SQLite ledger (`Ledger`): one file, WAL mode; each connection is a `Ledger` of its own.
public struct SQLiteLedgerBackend: LedgerBackend {
    public let path: String

    public init(path: String) { self.path = path }

    public var location: String { path }

    /// Creates the ledger's directory first when it is missing (`./data/runledger.db` on a first start).
    public func openWriter() throws -> any LedgerStore & LedgerQueries & OutboxStore {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw LedgerError("\(dir): cannot create the ledger's directory (\(error.localizedDescription))")
            }
        }
        return try Ledger(path: path)
    }

    public func openReader() throws -> any LedgerQueries { try Ledger(path: path, readOnly: true) }

    public func openOutbox() throws -> any OutboxStore { try Ledger(path: path) }
}
