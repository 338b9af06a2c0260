import Foundation

#if canImport(Glibc)
    import Glibc
#endif

enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var binary: String { root.appendingPathComponent(".build/debug/runledger").path }
    /// The shared samples (`../shared/samples/automagik` beside the repository), or the copies in
    /// `examples/` when the repository stands alone (a CI clone elsewhere).
    static let shared: URL = {
        let beside = root.deletingLastPathComponent().appendingPathComponent("shared/samples/automagik")
        return FileManager.default.fileExists(atPath: beside.appendingPathComponent("executor.log").path)
            ? beside : root.appendingPathComponent("examples")
    }()
    static var sampleLog: String { shared.appendingPathComponent("executor.log").path }
    static var truth: String { shared.appendingPathComponent("truth.json").path }
    static var executorDB: String { shared.appendingPathComponent("workflow_runs.db").path }
}

struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion (bounded by `timeout` seconds) and captures its output.
/// `environment` is added to the test runner's own; `directory` is the working directory (default the runner's).
func run(
    _ program: String, _ args: [String], timeout: Double = 60, environment: [String: String] = [:],
    directory: String? = nil
) throws -> Result {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = args
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if !environment.isEmpty {
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let dir = NSTemporaryDirectory() + "rl-out-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
    _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
    p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
    try p.run()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning, Date() < deadline { usleep(10_000) }
    if p.isRunning { p.terminate(); p.waitUntilExit() }
    return Result(
        status: p.terminationStatus,
        stdout: (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "")
}

func runledger(_ args: String...) throws -> Result { try run(Paths.binary, args) }

/// The JSON objects of a JSON-lines file (a stand-in's request log); none when it does not exist yet.
func jsonLines(_ path: String) -> [[String: Any]] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

/// Finds a program on PATH (promtool).
func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "runledger-e2e-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// A minimal HTTP/1.1 GET over a loopback socket (no client library between the test and the server).
func httpGet(port: Int, _ path: String) -> (status: Int, body: String)? {
    httpRequest(port: port, path).map { ($0.status, $0.body) }
}

/// An HTTP response as the tests see it; header names are lower-cased.
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: String
}

/// A TCP socket connected to 127.0.0.1:`port`, or -1.
func connectLoopback(_ port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return -1 }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    if ok != 0 {
        close(fd)
        return -1
    }
    return fd
}

/// `httpGet` with request headers (`Accept`), returning the response headers too.
func httpRequest(port: Int, _ path: String, method: String = "GET", headers: [String: String] = [:]) -> HTTPReply? {
    httpExchange(port: port, path, method: method, headers: headers).map {
        HTTPReply(status: $0.status, headers: $0.headers, body: String(decoding: $0.body, as: UTF8.self))
    }
}

/// One request on its own connection, the body as the bytes that came (a gzip body is not text).
func httpExchange(port: Int, _ path: String, method: String = "GET", headers: [String: String] = [:]) -> (
    status: Int, headers: [String: String], body: [UInt8]
)? {
    let fd = connectLoopback(port)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    let extra = headers.map { "\($0.key): \($0.value)\r\n" }.joined()
    let request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(extra)Connection: close\r\n\r\n"
    _ = request.withCString { send(fd, $0, strlen($0), 0) }
    var data = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { break }
        data += buf[0..<n]
    }
    let separator: [UInt8] = Array("\r\n\r\n".utf8)
    guard let headEnd = (0..<max(0, data.count - 3)).first(where: { Array(data[$0..<$0 + 4]) == separator }) else {
        return nil
    }
    let head = String(decoding: data[..<headEnd], as: UTF8.self)
    guard let status = Int(head.split(separator: " ").dropFirst().first ?? "") else { return nil }
    var body = Array(data[(headEnd + 4)...])
    if head.lowercased().contains("transfer-encoding: chunked") {
        body = Array(dechunk(String(decoding: body, as: UTF8.self)).utf8)
    }
    var fields: [String: String] = [:]
    for line in head.components(separatedBy: "\r\n").dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return (status, fields, body)
}

private func dechunk(_ s: String) -> String {
    var out = ""
    var rest = Substring(s)
    while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
        let start = lineEnd.upperBound
        let bytes = Array(rest[start...].utf8)
        out += String(decoding: bytes.prefix(size), as: UTF8.self)
        rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
    }
    return out
}

/// A loopback port nothing listens on now (the kernel's pick, let go again).
func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
        }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A `runledger serve` child process on a free loopback port; stopped with SIGTERM.
final class ServeProcess {
    let process = Process()
    let errPath: String
    private(set) var port = 0

    /// With `fixedPort`, `args` say where to listen and the wait is for the port to take connections
    /// (for a log level that hides the line naming it). `errName` is the file in `dir` its stderr goes
    /// to (one each, for several at once); `launcher` is a command that runs (execs) runledger and its
    /// arguments, given after it (`onHost`'s mount namespace).
    init(
        args: [String], dir: TempDir, fixedPort: Int? = nil, errName: String = "serve.err", launcher: [String] = []
    ) throws {
        errPath = dir.file(errName)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let serve = ["serve"] + (fixedPort == nil ? ["--listen", "127.0.0.1:0"] : []) + args
        process.executableURL = URL(fileURLWithPath: launcher.first ?? Paths.binary)
        process.arguments = launcher.isEmpty ? serve : launcher.dropFirst() + [Paths.binary] + serve
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The server prints its URL once it listens; wait for it (bounded).
        let deadline = Date().addingTimeInterval(20)
        while let fixedPort, Date() < deadline, port == 0, process.isRunning {
            let fd = connectLoopback(fixedPort)
            if fd >= 0 {
                close(fd)
                port = fixedPort
            }
            usleep(20_000)
        }
        while Date() < deadline, port == 0, process.isRunning {
            port = servingPort(errPath) ?? 0
            usleep(20_000)
        }
    }

    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    func get(_ path: String) -> (status: Int, body: String)? { httpGet(port: port, path) }

    /// Polls `path` until `condition` holds or `seconds` pass; returns the time it took, or nil.
    func waitFor(_ path: String, within seconds: Double, _ condition: (String) -> Bool) -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if let r = get(path), condition(r.body) { return Date().timeIntervalSince(start) }
            usleep(10_000)
        }
        return nil
    }

    func stop() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        return process.terminationStatus
    }
}

/// The port a serve whose stderr goes to `path` said it listens on, once it has.
func servingPort(_ path: String) -> Int? {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    guard let r = text.range(of: #"serving https?://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) else {
        return nil
    }
    return Int(text[r].split(separator: ":").last!.dropLast())
}

/// Parses an exposition into sample name+labels -> value.
func samples(_ exposition: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
        out[String(line[..<space])] = v
    }
    return out
}

/// `runs --json` with each run's `log_lines` source replaced by `SOURCE`: two ledgers read from files
/// of different names (a copy, a `.gz`, a followed and rotated file) must agree on everything else,
/// the line numbers included.
func withoutLogSources(_ runsJSON: String) -> String {
    runsJSON.replacingOccurrences(of: #""source": "[^"]*""#, with: #""source": "SOURCE""#, options: .regularExpression)
}

/// The executor writing `lines` to `path` on a thread of its own: 250 lines every `pause` µs, and logrotate
/// rotating the file `rotations` times on the way (every 45 chunks), with logrotate's numbering:
/// x.log.N becomes x.log.N+1, then x.log becomes x.log.1.
func startGrowingLog(_ path: String, lines: [String], rotations: Int, pause: useconds_t = 25_000) -> Thread {
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let writer = Thread {
        var handle = try! FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var rotated = 0
        for (i, start) in stride(from: 0, to: lines.count, by: 250).enumerated() {
            handle.write(Data(lines[start..<min(lines.count, start + 250)].joined().utf8))
            if i > 0, i % 45 == 0, rotated < rotations {
                try! handle.close()
                for k in stride(from: rotated, to: 0, by: -1) {
                    try! FileManager.default.moveItem(atPath: path + ".\(k)", toPath: path + ".\(k + 1)")
                }
                rotated += 1
                try! FileManager.default.moveItem(atPath: path, toPath: path + ".1")
                _ = FileManager.default.createFile(atPath: path, contents: nil)
                handle = try! FileHandle(forWritingTo: URL(fileURLWithPath: path))
            }
            usleep(pause)
        }
        try! handle.close()
    }
    writer.start()
    return writer
}

/// A file's lines, each with its newline (for `startGrowingLog`).
func linesOf(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0 + "\n" }
}
