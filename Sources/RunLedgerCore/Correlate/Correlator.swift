/// Ties lines to runs (DESIGN.md, "Attribution"):
/// - a line that names a run (its id, or an id linked to it by an earlier line) belongs to it;
/// - id-less metric lines form a burst that belongs to the run whose end anchor closes it;
/// - a burst that holds two runs' lines (a once-per-run line twice) is ambiguous: its facts are kept
///   as unattributed and never guessed into a run;
/// - progress lines (`Turn N`) whose counter goes back within a burst come from two runs: those lines
///   are kept as unattributed, the rest of the burst still belongs to its run.
///
/// All state is in `state`, which is saved with the source position, so a restart resumes exactly.
/// Ageing counts lines, not time, so the result does not depend on when the reader was stopped.
public final class Correlator {
    public var state: CorrelatorState
    private let rules: [Rule]

    public struct Limits: Sendable {
        public var links = 2048
        public var continuationLines: Int64 = 32
        public var awaitingLines: Int64 = 200
        public var hintLines: Int64 = 500
        public var burstLines: Int64 = 50_000
        public var burstFacts = 20_000
        public init() {}
    }

    public let limits: Limits

    /// The run a per-run file belongs to (`logs/run_{run_id}.log`): its lines need not name it.
    public let fileRun: String?

    public init(
        profile: Profile, state: CorrelatorState = CorrelatorState(), limits: Limits = Limits(), fileRun: String? = nil
    ) {
        self.rules = profile.rules
        self.state = state
        self.limits = limits
        self.fileRun = fileRun
    }

    /// Feeds one line's extraction; appends what it decided to `out`.
    public func process(_ x: Extraction, into out: inout [Attributed]) {
        state.line += 1
        expire(into: &out)
        guard x.result == .matched, x.rule >= 0 else { return }
        let rule = rules[x.rule]
        switch rule.role {
        case .restart:
            flushBurst(reason: "restart", into: &out)
            state.continuation = nil
            // The threads that would have named these runs' workflows are gone.
            for a in state.awaitingWorkflow {
                out.append(.run(id: a.runId, effects: [.workflowUnknown], timeMs: nil, attribution: .exact))
            }
            state.awaitingWorkflow.removeAll()
            state.workflowHints.removeAll()
            state.ambiguousOwed = 0
        case .workflowHint:
            for case .workflow(let name, _) in x.effects {
                state.workflowHints.append(.init(name: name, line: state.line))
            }
            if state.workflowHints.count > 32 { state.workflowHints.removeFirst() }
        case .postEnd:
            guard !state.awaitingWorkflow.isEmpty else { return }
            let run = state.awaitingWorkflow.removeFirst().runId
            out.append(.run(id: run, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
        case .startAnchor:
            guard let id = resolve(x.key) else { return }
            link(x.effects, to: id)
            out.append(.run(id: id, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
            if !state.workflowHints.isEmpty {
                let hint = state.workflowHints.removeFirst().name
                out.append(.run(id: id, effects: [.workflow(hint, .hint)], timeMs: x.timeMs, attribution: .exact))
            }
        case .endAnchor:
            state.continuation = nil
            guard let id = resolve(x.key) else {
                flushBurst(reason: "unlinked", into: &out)
                return
            }
            closeBurst(into: id, &out)
            out.append(.run(id: id, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
            if !state.awaitingWorkflow.contains(where: { $0.runId == id }) {
                state.awaitingWorkflow.append(.init(runId: id, line: state.line))
            }
        case .continuationHeader:
            if let id = resolve(x.key) {
                link(x.effects, to: id)
                out.append(.run(id: id, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
                state.continuation = .init(runId: id, line: state.line)
            } else {
                addToBurst(x, rule, into: &out)
                state.continuation = .init(runId: nil, line: state.line)
            }
        case .continuation:
            if let target = state.continuation, let id = target.runId {
                out.append(.run(id: id, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
            } else {
                addToBurst(x, rule, into: &out)
            }
            let now = state.line
            state.continuation?.line = now
        case .fact:
            if let id = resolve(x.key) {
                link(x.effects, to: id)
                out.append(.run(id: id, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
            } else if case .dbId? = x.key {
                if x.effects.contains(where: \.isMetric) {
                    out.append(
                        .unattributed(.init(reason: "unlinked", facts: [.init(effects: x.effects, timeMs: x.timeMs)])))
                }
            } else {
                addToBurst(x, rule, into: &out)
            }
        case .unreadable:
            break
        }
    }

    // MARK: Links

    private func resolve(_ key: ExtractedKey?) -> String? {
        if case .run(let id)? = key { return id }
        return linked(key) ?? fileRun
    }

    private func linked(_ key: ExtractedKey?) -> String? {
        switch key {
        case .run(let id): return id
        case .dbId(let id): return state.linkedRun(.dbId, id)
        case .session(let id): return state.linkedRun(.session, id)
        case nil: return nil
        }
    }

    private func link(_ effects: [Effect], to run: String) {
        for effect in effects {
            switch effect {
            case .dbId(let id): addLink(.dbId, id, run)
            case .session(let id): addLink(.session, id, run)
            default: break
            }
        }
    }

    private func addLink(_ kind: CorrelatorState.LinkKind, _ id: String, _ run: String) {
        state.addLink(kind, id, run, limit: limits.links)
    }

    // MARK: Bursts

    private func addToBurst(_ x: Extraction, _ rule: Rule, into out: inout [Attributed]) {
        let progress: Int64? =
            rule.progress ? x.effects.lazy.compactMap { if case .turns(let n, _) = $0 { n } else { nil } }.first : nil
        var startNew = state.segments.isEmpty
        if let last = state.segments.last, rule.oncePerRun, last.onceRules.contains(rule.name) { startNew = true }
        if startNew {
            // A burst holds a run's closing report lines (cost, turns, tokens…): room for them at once.
            var facts: [PendingFact] = []
            facts.reserveCapacity(8)
            var onceRules: [String] = []
            onceRules.reserveCapacity(8)
            state.segments.append(.init(facts: facts, onceRules: onceRules, lastProgress: nil, line: state.line))
        }
        let i = state.segments.count - 1
        if rule.oncePerRun { state.segments[i].onceRules.append(rule.name) }
        if let n = progress {
            if let previous = state.segments[i].lastProgress, n <= previous { state.segments[i].progressMixed = true }
            state.segments[i].lastProgress = n
        }
        if !x.effects.isEmpty {
            state.segments[i].facts.append(.init(effects: x.effects, timeMs: x.timeMs, progress: progress != nil))
        }
        if state.segments[i].facts.count > limits.burstFacts || state.segments.count > 64 {
            flushBurst(reason: "overflow", into: &out)
        }
    }

    private func closeBurst(into run: String, _ out: inout [Attributed]) {
        let segments = state.segments
        state.segments.removeAll()
        switch segments.count {
        case 0:
            if state.ambiguousOwed > 0 {
                state.ambiguousOwed -= 1
                out.append(.markAmbiguous(id: run))
            }
        case 1:
            state.ambiguousOwed = 0
            let segment = segments[0]
            for fact in segment.facts where !(segment.progressMixed && fact.progress) {
                out.append(.run(id: run, effects: fact.effects, timeMs: fact.timeMs, attribution: .burst))
            }
            if segment.progressMixed {
                out.append(.unattributed(.init(reason: "ambiguous", facts: segment.facts.filter(\.progress))))
                out.append(.markAmbiguous(id: run))
            }
        default:
            for segment in segments where !segment.facts.isEmpty {
                out.append(.unattributed(.init(reason: "ambiguous", facts: segment.facts)))
            }
            out.append(.markAmbiguous(id: run))
            state.ambiguousOwed = segments.count - 1
        }
    }

    private func flushBurst(reason: String, into out: inout [Attributed]) {
        for segment in state.segments where !segment.facts.isEmpty {
            out.append(.unattributed(.init(reason: reason, facts: segment.facts)))
        }
        state.segments.removeAll()
    }

    private func expire(into out: inout [Attributed]) {
        let now = state.line
        if let c = state.continuation, now - c.line > limits.continuationLines { state.continuation = nil }
        while let a = state.awaitingWorkflow.first, now - a.line > limits.awaitingLines {
            state.awaitingWorkflow.removeFirst()
            out.append(.run(id: a.runId, effects: [.workflowUnknown], timeMs: nil, attribution: .exact))
        }
        while let h = state.workflowHints.first, now - h.line > limits.hintLines { state.workflowHints.removeFirst() }
        if let first = state.segments.first, now - first.line > limits.burstLines {
            flushBurst(reason: "no-end-anchor", into: &out)
        }
    }
}

/// Everything the correlator remembers between lines; saved in the ledger with the source position.
///
/// The id links are a bounded map kept in insertion order (re-linking an id moves it to the end, the
/// oldest go first). They are looked up on nearly every line, so they live in a hash index plus an
/// insertion log rather than in an array scanned per line (that scan was a third of replay's time).
/// The encoded form is unchanged: `links` is still written as an array, oldest first.
public struct CorrelatorState: Codable, Sendable, Equatable {
    public enum LinkKind: String, Codable, Sendable { case dbId, session }

    public struct Link: Codable, Sendable, Equatable {
        var kind: LinkKind
        var id: String
        var runId: String
    }

    public struct Segment: Codable, Sendable, Equatable {
        var facts: [PendingFact]
        var onceRules: [String]
        var lastProgress: Int64?
        /// A progress counter went back: two runs' progress lines are mixed in this segment.
        var progressMixed = false
        var line: Int64
    }

    public struct Continuation: Codable, Sendable, Equatable {
        /// nil: the header named no run, so its lines join the burst.
        var runId: String?
        var line: Int64
    }

    public struct Awaiting: Codable, Sendable, Equatable {
        var runId: String
        var line: Int64
    }

    public struct Hint: Codable, Sendable, Equatable {
        var name: String
        var line: Int64
    }

    struct LinkKey: Hashable, Sendable {
        var kind: LinkKind
        var id: String
    }

    struct LinkEntry: Sendable {
        var runId: String
        /// Position in `linkLog` of this key's live entry; older log entries for the key are stale.
        var seq: Int
    }

    /// Lines seen on this source (the clock for ageing).
    public var line: Int64 = 0
    private var linkIndex: [LinkKey: LinkEntry] = [:]
    /// Keys in insertion order, from `linkHead` on; an entry is live when the index points at its seq.
    private var linkLog: [LinkKey] = []
    private var linkHead = 0
    /// The seq of `linkLog[0]` (the log is compacted from the front now and then).
    private var linkBase = 0
    var segments: [Segment] = []
    var continuation: Continuation?
    var awaitingWorkflow: [Awaiting] = []
    var workflowHints: [Hint] = []
    var ambiguousOwed = 0

    public init() {}

    /// The links, oldest first (the saved form).
    var links: [Link] {
        get {
            var out: [Link] = []
            out.reserveCapacity(linkIndex.count)
            for i in linkHead..<linkLog.count {
                let key = linkLog[i]
                if let e = linkIndex[key], e.seq == linkBase + i {
                    out.append(Link(kind: key.kind, id: key.id, runId: e.runId))
                }
            }
            return out
        }
        set {
            linkIndex = [:]
            linkLog = []
            linkHead = 0
            linkBase = 0
            for l in newValue { addLink(l.kind, l.id, l.runId, limit: Int.max) }
        }
    }

    func linkedRun(_ kind: LinkKind, _ id: String) -> String? {
        linkIndex[LinkKey(kind: kind, id: id)]?.runId
    }

    /// Links `id` to `run` (as the newest link) and drops the oldest links beyond `limit`.
    mutating func addLink(_ kind: LinkKind, _ id: String, _ run: String, limit: Int) {
        let key = LinkKey(kind: kind, id: id)
        linkIndex[key] = LinkEntry(runId: run, seq: linkBase + linkLog.count)
        linkLog.append(key)
        while linkIndex.count > limit, linkHead < linkLog.count {
            let old = linkLog[linkHead]
            if let e = linkIndex[old], e.seq == linkBase + linkHead { linkIndex[old] = nil }
            linkHead += 1
        }
        // Keep the log within a small multiple of the live links: drop the consumed front.
        if linkHead > 1024, linkHead * 2 > linkLog.count {
            linkLog.removeFirst(linkHead)
            linkBase += linkHead
            linkHead = 0
        }
    }

    enum CodingKeys: String, CodingKey {
        case line, links, segments, continuation, awaitingWorkflow, workflowHints, ambiguousOwed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        line = try c.decode(Int64.self, forKey: .line)
        segments = try c.decode([Segment].self, forKey: .segments)
        continuation = try c.decodeIfPresent(Continuation.self, forKey: .continuation)
        awaitingWorkflow = try c.decode([Awaiting].self, forKey: .awaitingWorkflow)
        workflowHints = try c.decode([Hint].self, forKey: .workflowHints)
        ambiguousOwed = try c.decode(Int.self, forKey: .ambiguousOwed)
        links = try c.decode([Link].self, forKey: .links)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(line, forKey: .line)
        try c.encode(links, forKey: .links)
        try c.encode(segments, forKey: .segments)
        try c.encodeIfPresent(continuation, forKey: .continuation)
        try c.encode(awaitingWorkflow, forKey: .awaitingWorkflow)
        try c.encode(workflowHints, forKey: .workflowHints)
        try c.encode(ambiguousOwed, forKey: .ambiguousOwed)
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.line == b.line && a.links == b.links && a.segments == b.segments && a.continuation == b.continuation
            && a.awaitingWorkflow == b.awaitingWorkflow && a.workflowHints == b.workflowHints
            && a.ambiguousOwed == b.ambiguousOwed
    }
}
