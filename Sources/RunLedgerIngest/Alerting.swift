import RunLedgerCore

/// Which alerts to raise and where they go: an alert goes to each sink whose route accepts it, among
/// the sinks configured when it is raised.
public struct Alerting: Sendable {
    public var detector: AlertDetector
    public var routes: [AlertRoute]
    /// Stall detection (nil: off), judged by `clock`.
    public var stall: StallDetector?
    /// The log's clock, moved by every ingestor's commits and read by the stall watch.
    public var clock: LogClock

    public init(
        detector: AlertDetector = AlertDetector(), routes: [AlertRoute] = [], stall: StallDetector? = nil,
        clock: LogClock = LogClock()
    ) {
        self.detector = detector
        self.routes = routes
        self.stall = stall
        self.clock = clock
    }

    /// Every alert to each of `sinks`, unfiltered.
    public init(detector: AlertDetector = AlertDetector(), sinks: [String]) {
        self.init(detector: detector, routes: sinks.map { AlertRoute(sink: $0) })
    }
}
