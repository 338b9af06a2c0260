import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL server from the Debian binaries (`postgresql`), listening on 127.0.0.1 and
/// on a socket in its own temporary directory. initdb takes seconds, so a test process starts one
/// (on first use) and each test makes its own database; it is stopped and removed when the process
/// exits, and a server left behind by a killed test process is removed by the next one.
public final class PostgresServer: Sendable {
    public let port: Int
    public let dir: String
    /// Seconds from initdb to accepting connections.
    public let startSeconds: Double
    private let bin: String
    private let stopped = Atomic<Bool>(false)

    /// A role that must give its password (scram-sha-256 over TCP); every other role is trusted.
    public static let passwordRole = "runledger_secret"

    /// The test process's server, or why setting it up failed: one for the process, under one lock.
    private static let state = Mutex<(server: PostgresServer?, failure: String?)>((nil, nil))

    /// The test process's server. A failed setup is not tried again by every test.
    public static func shared() throws -> PostgresServer {
        try state.withLock { state throws -> PostgresServer in
            if let server = state.server { return server }
            if let failure = state.failure { throw SetupError(failure) }
            do {
                removeLeftovers()
                let server = try PostgresServer()
                state.server = server
                atexit { PostgresServer.state.withLock { $0.server }?.stop() }
                return server
            } catch {
                state.failure = "\(error)"
                throw error
            }
        }
    }

    /// A server of the caller's own, for a test that stops and starts it (`pause`, `resume`); the caller
    /// stops it at the end.
    public static func own() throws -> PostgresServer {
        removeLeftovers()
        return try PostgresServer()
    }

    private init() throws {
        let start = Date()
        guard let bin = Self.binDirectory() else {
            throw SetupError("no PostgreSQL server in /usr/lib/postgresql/*/bin (make deps installs postgresql)")
        }
        self.bin = bin
        dir = NSTemporaryDirectory() + "runledger-pg-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "\(getpid())\n".write(toFile: dir + "/owner.pid", atomically: false, encoding: .utf8)
        // initdb and the server refuse to run as root: as root (the tests' usual case) they run as
        // the `postgres` system user, which must own the directory.
        if getuid() == 0 {
            guard let pw = getpwnam("postgres") else { throw SetupError("no `postgres` system user to run initdb as") }
            chown(dir, pw.pointee.pw_uid, pw.pointee.pw_gid)
        }
        try Self.check(
            try runCommand(
                Self.asServerUser(bin + "/initdb"),
                Self.serverUserArgs(bin + "/initdb")
                    + ["-D", dir + "/data", "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]),
            "initdb")
        try """
        local all all trust
        host all \(Self.passwordRole) 127.0.0.1/32 scram-sha-256
        host all all 127.0.0.1/32 trust

        """.write(toFile: dir + "/data/pg_hba.conf", atomically: false, encoding: .utf8)
        var started: Int?
        var failure = ""
        // A free port may be taken between looking and listening: try another.
        for _ in 0..<3 where started == nil {
            let candidate = unusedLoopbackPort()
            let out = try Self.start(dir: dir, bin: bin, port: candidate)
            if out.status == 0 { started = candidate } else { failure = out.stderr + out.stdout }
        }
        guard let started else {
            let log = (try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? ""
            Self.stopServer(dir: dir, bin: bin)
            throw SetupError("pg_ctl start: \(failure)\n\(log.suffix(2000))")
        }
        port = started
        startSeconds = Date().timeIntervalSince(start)
    }

    private static func start(dir: String, bin: String, port: Int) throws -> CommandOutput {
        try runCommand(
            asServerUser(bin + "/pg_ctl"),
            serverUserArgs(bin + "/pg_ctl") + [
                "-D", dir + "/data", "-l", dir + "/server.log", "-w", "-t", "30", "-o",
                "-p \(port) -k \(dir) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
                "start",
            ])
    }

    /// Stops the server as an outage would (`-m immediate`: sessions are cut, nothing is shut down
    /// cleanly); `resume` starts it again on the same port and data.
    public func pause() throws {
        try Self.check(
            try runCommand(
                Self.asServerUser(bin + "/pg_ctl"),
                Self.serverUserArgs(bin + "/pg_ctl") + [
                    "-D", dir + "/data", "-m", "immediate", "-w", "-t", "10", "stop",
                ],
                timeout: 15), "pg_ctl stop")
    }

    public func resume() throws { try Self.check(try Self.start(dir: dir, bin: bin, port: port), "pg_ctl start") }

    /// `postgresql://user[:password]@127.0.0.1:PORT/database`.
    public func uri(_ database: String, user: String = "postgres", password: String? = nil) -> String {
        "postgresql://\(user)\(password.map { ":" + $0 } ?? "")@127.0.0.1:\(port)/\(database)"
    }

    /// Runs SQL through `psql` over the server's socket as the superuser; returns its unaligned output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let file = dir + "/" + UUID().uuidString + ".sql"
        try sql.write(toFile: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let out = try runCommand(
            bin + "/psql",
            [
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", "\(port)", "-U", "postgres", "-d",
                database,
                "-f", file,
            ])
        try Self.check(out, "psql")
        return out.stdout
    }

    /// A new, empty database of the test's own.
    public func createDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try psql("CREATE DATABASE \(name)")
        return name
    }

    /// `pg_ctl stop -m immediate` (SIGQUIT: the test runner's children may not see SIGTERM), then
    /// SIGKILL if it is still up, and the directory removed.
    public func stop() {
        // Once: the atexit hook and a test may both ask.
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        Self.stopServer(dir: dir, bin: bin)
    }

    private static func stopServer(dir: String, bin: String) {
        if FileManager.default.fileExists(atPath: dir + "/data/postmaster.pid") {
            _ = try? runCommand(
                asServerUser(bin + "/pg_ctl"),
                serverUserArgs(bin + "/pg_ctl") + ["-D", dir + "/data", "-m", "immediate", "-w", "-t", "10", "stop"],
                timeout: 15)
        }
        if let text = try? String(contentsOfFile: dir + "/data/postmaster.pid", encoding: .utf8),
            let pid = Int32(text.split(separator: "\n").first ?? "")
        {
            kill(pid, SIGKILL)
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Servers whose test process is gone (killed before it could stop them).
    private static func removeLeftovers() {
        guard let bin = binDirectory() else { return }
        let tmp = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []
        where name.hasPrefix("runledger-pg-") {
            let dir = tmp + "/" + name
            guard let text = try? String(contentsOfFile: dir + "/owner.pid", encoding: .utf8),
                let owner = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                kill(owner, 0) != 0, errno == ESRCH
            else { continue }
            stopServer(dir: dir, bin: bin)
        }
    }

    /// The newest installed version's bin directory.
    static func binDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init)
        return versions.sorted().reversed().map { "\(root)/\($0)/bin" }.first {
            FileManager.default.isExecutableFile(atPath: $0 + "/initdb")
        }
    }

    private static func asServerUser(_ program: String) -> String { getuid() == 0 ? "/sbin/runuser" : program }
    private static func serverUserArgs(_ program: String) -> [String] {
        getuid() == 0 ? ["-u", "postgres", "--", program] : []
    }

    private static func check(_ out: CommandOutput, _ what: String) throws {
        guard out.status == 0 else {
            throw SetupError("\(what) exited \(out.status): \(out.stderr.isEmpty ? out.stdout : out.stderr)")
        }
    }
}
