import Synchronization

/// What each source is doing, for `/healthz` and the landing page. Written by the reader thread.
public final class SourceBoard: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var up = false
        public var lines: Int64 = 0
        public var offset: Int64 = 0
        public var detail: String?
        public var lastProblem: String?
    }

    private struct Board {
        var entries: [String: Entry] = [:]
        /// The sources in the order they were named, for a stable page.
        var order: [String] = []
    }

    private let board: Mutex<Board>

    public init(sources: [String]) {
        var b = Board()
        for s in sources { b.entries[s] = Entry(name: s); b.order.append(s) }
        board = Mutex(b)
    }

    public func update(_ name: String, _ change: (inout Entry) -> Void) {
        board.withLock { b in
            if b.entries[name] == nil { b.entries[name] = Entry(name: name); b.order.append(name) }
            change(&b.entries[name]!)
        }
    }

    /// Takes a source a reload removed off the board.
    public func remove(_ name: String) {
        board.withLock { b in
            b.entries[name] = nil
            b.order.removeAll { $0 == name }
        }
    }

    public var all: [Entry] { board.withLock { b in b.order.compactMap { b.entries[$0] } } }
}
