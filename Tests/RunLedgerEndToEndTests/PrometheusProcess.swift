import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real Prometheus (Debian's `prometheus`) on a free loopback port with a temporary data directory,
/// for the end-to-end tests; stopped with SIGTERM by `stop()`, and by the test's `defer`.
final class PrometheusProcess {
    let process = Process()
    let port: Int
    let logPath: String

    /// - Parameter config: the contents of prometheus.yml.
    init(config: String, dir: TempDir) throws {
        let configPath = dir.file("prometheus.yml")
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        logPath = dir.file("prometheus.log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        port = try freeLoopbackPort()
        let binary = try which("prometheus").orThrow("prometheus is installed by make test (Debian prometheus)")
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(configPath)", "--storage.tsdb.path=\(dir.file("prometheus-data"))",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=info",
        ]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// GET on the HTTP API; the JSON `data` member of a successful answer.
    func api(_ path: String) -> Any? {
        guard let reply = httpGet(port: port, path), reply.status == 200,
            let json = try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any],
            json["status"] as? String == "success"
        else { return nil }
        return json["data"]
    }

    /// An instant query; nil when Prometheus refuses it (bad PromQL) or is not answering.
    func query(_ expr: String) -> [(labels: [String: String], value: Double)]? {
        let encoded = expr.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? expr
        guard let data = api("/api/v1/query?query=\(encoded)") as? [String: Any],
            let result = data["result"] as? [[String: Any]]
        else { return nil }
        return result.map { r in
            let value = (r["value"] as? [Any])?.last as? String ?? "NaN"
            return (r["metric"] as? [String: String] ?? [:], Double(value) ?? .nan)
        }
    }

    /// Polls `condition` (every 100 ms) until it holds or `seconds` pass; returns whether it held.
    func waitUntil(within seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A port nobody listens on now: bind to port 0, read the port, close. Prometheus cannot report the
/// port it picked itself, so it is given one (another process could take it in between; unlikely on
/// a test machine, and the test then fails with Prometheus's log rather than hanging).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Failure("socket: \(errno)") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
            bind(fd, p, len) == 0 && getsockname(fd, p, &len) == 0
        }
    }
    guard bound else { throw Failure("bind: \(errno)") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let value = self else { throw Failure(message) }
        return value
    }
}
