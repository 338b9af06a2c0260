import ArgumentParser
import Foundation
import Logging
import RunLedgerCore

#if canImport(Glibc)
    import Glibc
#endif

/// `--log.level` and `--log.format`, named as Prometheus and its exporters name them.
struct LogOptions: ParsableArguments {
    @Option(
        name: .customLong("log.level"),
        help: "Only log events at this level or above: debug, info, warn, error (or swift-log's names).")
    var level: LogLevelName?

    @Option(name: .customLong("log.format"), help: "logfmt (the default) or json: one event a line on stderr.")
    var format: LogFormat?
}

/// A `--log.level` value: any name the config's `log_level` takes (`LogLevel.parse`, the one list),
/// the exporters' four first in the help.
struct LogLevelName: ExpressibleByArgument {
    let name: String
    let level: Logger.Level

    init?(argument: String) {
        guard let level = LogLevel.parse(argument) else { return nil }
        (name, self.level) = (argument, level)
    }

    static var allValueStrings: [String] { LogLevel.names.components(separatedBy: ", ") }
}

extension LogFormat: ExpressibleByArgument {}

/// swift-log's handler for `serve`: each event is one `LogFormat` line on standard error, written with
/// one `write`, so lines from different threads never interleave.
struct LineLogHandler: LogHandler {
    let format: LogFormat
    var metadata: Logger.Metadata = [:]

    var logLevel: Logger.Level {
        get { LogLevel.current }
        set { LogLevel.set(newValue) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let more = event.metadata { merged.merge(more) { $1 } }
        let fields = merged.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
        let line = format.line(
            time: Self.timestamp(), level: LogLevel.written(event.level), message: "\(event.message)",
            fields: fields)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// RFC 3339 in UTC with milliseconds, as Prometheus writes `ts`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let millis = Int(now.tv_nsec / 1_000_000)
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }

    /// Sends every logger of the process through this handler at `level`. Called once, before the first
    /// logger is made.
    static func bootstrap(format: LogFormat, level: Logger.Level) {
        LogLevel.set(level)
        LoggingSystem.bootstrap { _ in LineLogHandler(format: format) }
    }
}
