import Foundation
import TestSupport

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
        port = unusedLoopbackPort()
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

    /// The head of the tests' prometheus.yml: one-second scrapes and evaluations keep a test short,
    /// and the shipped rules are loaded.
    static let fastConfigWithRules = """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        rule_files:
          - \(Paths.alerts.path)/*.yml

        """

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

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let value = self else { throw Failure(message) }
        return value
    }
}
