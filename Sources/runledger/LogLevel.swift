import Logging
import Synchronization

/// The level serve logs at, in one place: set at start (the config's `log_level`) and again by each
/// reload; every logger of serve reads it on each message, through `SharedLevelHandler`. A handler
/// that writes another format reads `LogLevel.current` the same way.
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

/// swift-log's stderr handler, at the level `LogLevel` holds rather than one of its own: a reload's
/// level reaches loggers already handed to the HTTP server and the threads.
struct SharedLevelHandler: LogHandler {
    private var inner: StreamLogHandler

    init(label: String) { inner = .standardError(label: label) }

    var logLevel: Logger.Level {
        get { LogLevel.current }
        set { LogLevel.set(newValue) }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) { inner.log(event: event) }
}
