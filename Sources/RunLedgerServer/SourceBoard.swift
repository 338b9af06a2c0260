import Foundation

/// What each source is doing, for `/healthz` and the landing page. Written by the reader thread.
public final class SourceBoard: @unchecked Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var up = false
        public var lines: Int64 = 0
        public var offset: Int64 = 0
        public var detail: String?
        public var lastProblem: String?
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var order: [String] = []

    public init(sources: [String]) {
        for s in sources { entries[s] = Entry(name: s); order.append(s) }
    }

    public func update(_ name: String, _ change: (inout Entry) -> Void) {
        lock.withLock {
            if entries[name] == nil { entries[name] = Entry(name: name); order.append(name) }
            change(&entries[name]!)
        }
    }

    public var all: [Entry] { lock.withLock { order.compactMap { entries[$0] } } }
}
