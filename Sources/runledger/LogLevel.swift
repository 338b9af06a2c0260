import Logging
import Synchronization

/// The level serve logs at, in one place: set at start (the config's `log_level`) and again by each
/// reload; every logger of serve reads it on each message, through `LineLogHandler`.
enum LogLevel {
    private static let level = Mutex<Logger.Level>(.info)

    static var current: Logger.Level { level.withLock { $0 } }

    static func set(_ new: Logger.Level) { level.withLock { $0 = new } }

    /// The names the config accepts: swift-log's, and `warn` as Prometheus's exporters spell it.
    static func parse(_ text: String) -> Logger.Level? {
        text == "warn" ? .warning : Logger.Level(rawValue: text)
    }

    static let names = "trace, debug, info, notice, warn, warning, error, critical"
}
