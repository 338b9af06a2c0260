import Logging
import Synchronization

/// The level serve logs at, in one place: set at start (the config's `log_level`) and again by each
/// reload; every logger of serve reads it on each message, through `LineLogHandler`.
enum LogLevel {
    private static let level = Mutex<Logger.Level>(.info)

    static var current: Logger.Level { level.withLock { $0 } }

    static func set(_ new: Logger.Level) { level.withLock { $0 = new } }

    /// The names `--log.level` and the config's `log_level` accept: swift-log's, and `warn` as
    /// Prometheus's exporters spell it.
    static func parse(_ text: String) -> Logger.Level? {
        text == "warn" ? .warning : Logger.Level(rawValue: text)
    }

    /// The exporters' four first (`--log.level`'s help), then swift-log's others.
    static let names = "debug, info, warn, error, trace, notice, warning, critical"

    /// The name an event's level is written under: Prometheus's four.
    static func written(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warn"
        case .error, .critical: "error"
        }
    }
}
