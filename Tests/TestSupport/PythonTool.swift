import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A stand-in from `tools/` (the webhook receiver, the executor's status API) on 127.0.0.1, run by
/// python3 in a process of its own: what it answers never waits on this process's threads. It prints
/// its port as its first line.
public final class PythonTool {
    public let process = Process()
    public let port: Int

    public init(_ script: String, _ args: [String]) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        let out = Pipe()
        process.executableURL = URL(fileURLWithPath: try path ?? { throw POSIXError(.ENOENT) }())
        process.arguments = [root.appendingPathComponent("tools/\(script)").path] + args
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// SIGKILL: a child of the test runner inherits its blocked signal mask, so SIGTERM may not land.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
