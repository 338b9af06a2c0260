/// Which alerts one sink wants: by kind and by workflow (nil: all).
///
/// An alert whose run's workflow is not known yet (`unknown`) passes a workflow filter: a missed alert
/// about real money costs more than one extra message.
public struct AlertRoute: Sendable, Equatable {
    public var sink: String
    public var kinds: Set<AlertKind>?
    public var workflows: Set<String>?

    public init(sink: String, kinds: Set<AlertKind>? = nil, workflows: Set<String>? = nil) {
        self.sink = sink
        self.kinds = kinds
        self.workflows = workflows
    }

    public func accepts(_ alert: Alert) -> Bool {
        if let kinds, !kinds.contains(alert.kind) { return false }
        if let workflows, alert.workflow != "unknown", !workflows.contains(alert.workflow) { return false }
        return true
    }
}
