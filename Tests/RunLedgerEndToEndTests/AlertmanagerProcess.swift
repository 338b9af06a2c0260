import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A real Alertmanager (Debian's prometheus-alertmanager) on a free loopback port with a temporary
/// data directory and a receiver that sends nowhere; its `/api/v2/alerts` shows what it was sent.
/// Killed by `stop()` (and by the test's `defer`).
final class AlertmanagerProcess {
    static let binary = "/usr/bin/prometheus-alertmanager"
    let process = Process()
    let port: Int

    init(dir: TempDir) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw Failure("\(Self.binary): make test installs prometheus-alertmanager")
        }
        try "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n".write(
            toFile: dir.file("am.yml"), atomically: true, encoding: .utf8)
        port = unusedLoopbackPort()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [
            "--config.file=\(dir.file("am.yml"))", "--storage.path=\(dir.file("am-data"))",
            "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Waits (at most 10 s) until it answers `/-/ready`; returns whether it did.
    func waitUntilReady() -> Bool {
        for _ in 0..<200 {
            if httpGet(port: port, "/-/ready")?.status == 200 { return true }
            usleep(50_000)
        }
        return false
    }

    /// The alerts it holds (`/api/v2/alerts`), or nil when it does not answer with JSON.
    func alerts() -> [[String: Any]]? {
        guard let body = httpGet(port: port, "/api/v2/alerts")?.body else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [[String: Any]]
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
