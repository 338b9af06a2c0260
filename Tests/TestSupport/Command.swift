import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a program said and how it ended.
public struct CommandOutput {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion, bounded by `timeout` seconds (then SIGKILL). Not Foundation's
/// `Process`: on Linux it learns of a child's exit when a socket it hands the child closes, and the
/// server `pg_ctl start` leaves running would keep that socket (and so the test) waiting forever.
/// Here the child gets stdin from /dev/null, stdout and stderr to files, no other descriptor of the
/// test runner, and an empty signal mask (the runner blocks SIGTERM, which `pg_ctl stop` relies on).
func runCommand(_ program: String, _ args: [String], timeout: Double = 60) throws -> CommandOutput {
    let dir = NSTemporaryDirectory() + "rl-pg-out-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, dir + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, dir + "/err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard closeFrom3(&actions) else { throw SetupError("this libc has no posix_spawn_file_actions_addclosefrom_np") }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let argv = ([program] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, program, &actions, &attributes, argv, environ)
    guard rc == 0 else { throw SetupError("\(program): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    let deadline = Date().addingTimeInterval(timeout)
    while waitpid(pid, &status, WNOHANG) == 0 {
        if Date() > deadline {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            break
        }
        usleep(10_000)
    }
    // The wait status: exit code in bits 8-15 when the low 7 bits (the signal) are 0.
    let signal = status & 0x7f
    return CommandOutput(
        status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
        stdout: (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "")
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not
/// export: looked up at run time.
private func closeFrom3(_ actions: inout posix_spawn_file_actions_t) -> Bool {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
        return false
    }
    return unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3) == 0
}

/// A failed step of setting up a test server, with what the program said.
public struct SetupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
public func unusedLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 ? getsockname(fd, $0, &len) : -1 }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}
