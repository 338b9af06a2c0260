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
        case .dbId(let id): return state.links.last { $0.kind == .dbId && $0.id == id }?.runId
        case .session(let id): return state.links.last { $0.kind == .session && $0.id == id }?.runId
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
        if let i = state.links.firstIndex(where: { $0.kind == kind && $0.id == id }) { state.links.remove(at: i) }
        state.links.append(.init(kind: kind, id: id, runId: run))
        if state.links.count > limits.links { state.links.removeFirst(state.links.count - limits.links) }
    }

    // MARK: Bursts

    private func addToBurst(_ x: Extraction, _ rule: Rule, into out: inout [Attributed]) {
        let progress: Int64? =
            rule.progress ? x.effects.lazy.compactMap { if case .turns(let n, _) = $0 { n } else { nil } }.first : nil
        var startNew = state.segments.isEmpty
        if let last = state.segments.last, rule.oncePerRun, last.onceRules.contains(rule.name) { startNew = true }
        if startNew {
            state.segments.append(.init(facts: [], onceRules: [], lastProgress: nil, line: state.line))
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

    /// Lines seen on this source (the clock for ageing).
    public var line: Int64 = 0
    var links: [Link] = []
    var segments: [Segment] = []
    var continuation: Continuation?
    var awaitingWorkflow: [Awaiting] = []
    var workflowHints: [Hint] = []
    var ambiguousOwed = 0

    public init() {}
}
