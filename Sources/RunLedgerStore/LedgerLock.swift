import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one-writer-per-ledger rule between processes: an exclusive `flock` on `LEDGER.lock` beside the
/// database, taken before the ledger is opened for writing and held while any writing `Ledger` on it is
/// open in this process (for the commands, until they exit).
///
/// Why a lock of our own: SQLite's locks only serialise transactions. Two writers each read the log on
/// from the position they loaded, in memory, and each commits its own count of the same lines, so a second `serve` (or a `replay` while `serve` runs) counted every run twice. Why a separate
/// file: SQLite locks the database and its `-shm` with `fcntl` and drops those locks itself, and where
/// the kernel emulates `flock` with `fcntl` locks (NFS) a `flock` on the database would meet them; a
/// file SQLite never opens is left alone. The kernel releases the lock when the process dies, `kill -9`
/// included, so a restart never finds a stale lock.
final class LedgerLock {
    let path: String
    private let fd: Int32

    /// This process's locks by lock file, held weakly: a lock goes when the last writing `Ledger` of
    /// this process lets go of it (the writer's and the notifier's connections share one).
    private static let held = Mutex<[String: Weak]>([:])

    private struct Weak { weak var lock: LedgerLock? }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// The lock for the ledger at `database`, taken now, or the one this process already holds.
    /// Throws one line naming the ledger and the holder's pid when another process holds it.
    static func acquire(for database: String) throws -> LedgerLock {
        let path = canonical(database) + ".lock"
        return try held.withLock { held in
            if let existing = held[path]?.lock { return existing }
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw LedgerError("\(path): cannot open the ledger's lock file (\(String(cString: strerror(errno))))")
            }
            // Another process holding it is refused at once. This process holding it is a `Ledger` of
            // it letting go (its lock is being deinitialised, so `held` no longer gives it out), which
            // closes its descriptor in a moment: wait for that.
            while flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let why = errno
                if why == EINTR { continue }
                let holder = holderPid(fd)
                if why == EWOULDBLOCK, holder == Int(getpid()), flock(fd, LOCK_EX) == 0 { break }
                close(fd)
                guard why == EWOULDBLOCK else {
                    throw LedgerError("\(path): cannot lock the ledger (\(String(cString: strerror(why))))")
                }
                throw LedgerError(
                    "\(database): the ledger is being written by another runledger"
                        + (holder.map { " (pid \($0))" } ?? "")
                        + "; one writer per ledger: stop it first (runs, metrics and alerts can read it meanwhile)")
            }
            // The pid, for the message a refused writer prints (and for people looking at the file).
            let text = "\(getpid())\n"
            _ = ftruncate(fd, 0)
            _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
            let lock = LedgerLock(path: path, fd: fd)
            held[path] = Weak(lock: lock)
            return lock
        }
    }

    private static func holderPid(_ fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 31, 0) }
        guard n > 0 else { return nil }
        return Int(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// One name for one database whatever the spelling (relative, `..`, a symlink to it or to its
    /// directory), so that two spellings cannot take two different locks.
    static func canonical(_ path: String) -> String {
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        // Not created yet: its directory exists (the commands create it first), the file does not.
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        guard let resolved = realpath(dir, nil) else { return url.standardizedFileURL.path }
        defer { free(resolved) }
        let base = String(cString: resolved)
        return (base == "/" ? "" : base) + "/" + url.lastPathComponent
    }
}
