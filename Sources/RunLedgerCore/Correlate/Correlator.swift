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
        /// How many lines after an agent's end line its `Background workflow … completed` line may come.
        public var nameLines: Int64 = 12
        /// How far before a run's end line its status line (`RuleRole.preEnd`) may be.
        public var preEndLines: Int64 = 8
        /// How many lines after its run's start an id-less worktree line may come (`RuleRole.workspace`).
        public var workspaceLines: Int64 = 200
        /// How many lines after a run's `Background workflow` line its `SKIPPED` may come.
        public var commitLines: Int64 = 16
        /// How far before its run's start line the access log's `POST …/run/NAME` may be: a hint left by a
        /// start line that never came must not name the next run.
        public var hintLines: Int64 = 8
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
        guard x.rule >= 0 else { return }
        guard x.result == .matched else {
            if x.result == .malformed { cut(rules[x.rule].role, into: &out) }
            return
        }
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
            state.orphans.removeAll()
            state.orphanEnds.removeAll()
            state.streamsInFlight.removeAll()
            state.endStatus = nil
            state.endStatusLine = nil
            state.awaitingWorkspace.removeAll()
            state.commitPending.removeAll()
        case .workflowHint:
            for case .workflow(let name, _) in x.effects {
                state.workflowHints.append(.init(name: name, line: state.line))
            }
            if state.workflowHints.count > 32 { state.workflowHints.removeFirst() }
        case .postEnd:
            // The agent's thread says it after its `Updated session …` end line: the run that has waited
            // longest among those whose end line was the agent's. Ends of other kinds (an exception path,
            // the process manager's, the route's) are followed by no such line, and would shift every
            // later name by one.
            guard let i = state.awaitingWorkflow.firstIndex(where: { $0.nameFollows == true }) else {
                // The end it follows is held, not knowing its run yet: the name goes with it.
                if !state.orphanEnds.isEmpty { state.orphanEnds[state.orphanEnds.count - 1].effects += x.effects }
                return
            }
            let run = state.awaitingWorkflow.remove(at: i).runId
            out.append(.run(id: run, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
            awaitCommit(run, x)
        case .startAnchor:
            guard let id = resolve(x.key) else { return }
            link(x.effects, to: id)
            out.append(.run(id: id, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
            takeHint(for: id, x.timeMs, into: &out)
            awaitWorkspace(id)
        case .endAnchor, .lateEndAnchor:
            state.continuation = nil
            guard let id = resolve(x.key) else {
                flushBurst(reason: "unlinked", into: &out)
                return
            }
            endOrFollow(id, x, rule, late: rule.role == .lateEndAnchor, into: &out)
        case .streamStart:
            guard let id = resolve(x.key) else { return }
            link(x.effects, to: id)
            out.append(.run(id: id, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
            takeHint(for: id, x.timeMs, into: &out)
            awaitWorkspace(id)
            state.streamsInFlight.removeAll { $0 == id }
            state.streamsInFlight.append(id)
            if state.streamsInFlight.count > 64 { state.streamsInFlight.removeFirst() }
            if state.streamsInFlight.count > 1 {
                for i in state.segments.indices where state.segments[i].session != nil {
                    state.segments[i].sharedFlight = true
                }
            }
        case .orphanStart:
            guard let id = resolve(x.key) else { return }
            state.orphans.removeAll { $0.runId == id }
            state.orphans.append(.init(runId: id, line: state.line))
            if state.orphans.count > 64 { state.orphans.removeFirst() }
        case .orphanEnd:
            state.continuation = nil
            // b1 (15922818 → 57e89ef4) names the session its start line linked: the run is known.
            if let id = linked(x.key) {
                endOrFollow(id, x, rule, late: true, into: &out)
            } else {
                endOrphan(x, into: &out)
            }
        case .continuationHeader:
            if let id = resolve(x.key) {
                link(x.effects, to: id)
                out.append(.run(id: id, effects: x.effects, timeMs: x.timeMs, attribution: .exact))
                state.continuation = .init(runId: id, line: state.line)
                if rule.namesBurst { nameBurst(id) }
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
                if x.effects.contains(.started) {
                    takeHint(for: id, x.timeMs, into: &out)
                    awaitWorkspace(id)
                }
                if rule.claimsOrphanEnd {
                    // An auto-commit line naming the run: its thread got past the conditions.
                    if !state.commitPending.isEmpty { state.commitPending.removeAll { $0.runId == id } }
                    claimOrphanEnd(by: id, into: &out)
                }
                if rule.namesBurst { nameBurst(id) }
            } else if case .dbId? = x.key {
                if x.effects.contains(where: \.isMetric) {
                    out.append(
                        .unattributed(.init(reason: "unlinked", facts: [.init(effects: x.effects, timeMs: x.timeMs)])))
                }
            } else {
                addToBurst(x, rule, into: &out)
            }
        case .preEnd:
            state.endStatus = .init(effects: x.effects, timeMs: x.timeMs)
            state.endStatusLine = state.line
        case .workspace:
            workspaceLine(x, rule, into: &out)
        case .followsPostEnd:
            commitSkipped(x, into: &out)
        case .unreadable, .ignored:
            break
        }
    }

    /// The access log's `POST …/run/NAME` names the next run to start: a run's first start line takes it
    /// (any of its start lines: the route's record, or the executor's own when the record's line is lost).
    private func takeHint(for id: String, _ timeMs: Int64?, into out: inout [Attributed]) {
        guard !state.hinted.contains(id) else { return }
        state.hinted.append(id)
        if state.hinted.count > 64 { state.hinted.removeFirst() }
        guard !state.workflowHints.isEmpty else { return }
        let hint = state.workflowHints.removeFirst().name
        out.append(.run(id: id, effects: [.workflow(hint, .hint)], timeMs: timeMs, attribution: .exact))
    }

    // MARK: Links

    private func resolve(_ key: ExtractedKey?) -> String? {
        if case .run(let id)? = key { return id }
        return linked(key) ?? fileRun
    }

    func linked(_ key: ExtractedKey?) -> String? {
        switch key {
        case .run(let id): return id
        case .dbId(let id): return state.linkedRun(.dbId, id)
        case .session(let id): return state.linkedRun(.session, id)
        case nil: return nil
        }
    }

    func link(_ effects: [Effect], to run: String) {
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
        // Lines that carry a session id no line has tied to a run (HEAD's `Claude output:` objects carry
        // Claude's own session, M3) are kept apart by session: a second session in one burst is a second
        // run, whose lines go on in a segment of their own. A session already found mixed stays unknown.
        var session: String?
        if case .session(let s)? = x.key { session = s }
        if let session, state.ambiguousSessions.contains(session) {
            if x.effects.contains(where: \.isMetric) {
                out.append(
                    .unattributed(.init(reason: "ambiguous", facts: [.init(effects: x.effects, timeMs: x.timeMs)])))
            }
            if state.segments.isEmpty { state.openSegment() }
            state.segments[state.segments.count - 1].mixedSession = true
            return
        }
        if let session, let j = state.segments.firstIndex(where: { $0.session == session }),
            j != state.segments.count - 1
        {
            state.segments.append(state.segments.remove(at: j))
        }
        var startNew = state.segments.isEmpty
        if let last = state.segments.last, rule.oncePerRun, last.onceRules.contains(rule.name) { startNew = true }
        if let session, let last = state.segments.last, let current = last.session, current != session {
            startNew = true
        }
        if startNew { state.openSegment() }
        let i = state.segments.count - 1
        if rule.oncePerRun { state.segments[i].onceRules.append(rule.name) }
        if let session {
            state.segments[i].session = session
            if state.streamsInFlight.count > 1 { state.segments[i].sharedFlight = true }
        }
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

    func closeBurst(into run: String, _ out: inout [Attributed]) {
        var segments = state.segments
        state.segments.removeAll()
        // A session whose lines came while another stream-json run was in flight could be either run's.
        let shared = segments.filter { $0.session != nil && $0.sharedFlight }
        if !shared.isEmpty {
            segments.removeAll { $0.session != nil && $0.sharedFlight }
            for segment in shared where !segment.facts.isEmpty {
                out.append(.unattributed(.init(reason: "ambiguous", facts: segment.facts)))
            }
            out.append(.markAmbiguous(id: run))
            poison(shared.compactMap(\.session))
        }
        switch segments.count {
        case 0:
            if state.ambiguousOwed > 0 {
                state.ambiguousOwed -= 1
                out.append(.markAmbiguous(id: run))
            }
        case 1:
            state.ambiguousOwed = 0
            let segment = segments[0]
            if segment.mixedSession { out.append(.markAmbiguous(id: run)) }
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
            // Whichever of these sessions was not the closing run's goes on after this end.
            poison(segments.compactMap(\.session))
        }
    }

    private func poison(_ sessions: [String]) {
        for session in sessions where !state.ambiguousSessions.contains(session) {
            state.ambiguousSessions.append(session)
            if state.ambiguousSessions.count > 64 { state.ambiguousSessions.removeFirst() }
        }
    }

    func flushBurst(reason: String, into out: inout [Attributed]) {
        for segment in state.segments where !segment.facts.isEmpty {
            out.append(.unattributed(.init(reason: reason, facts: segment.facts)))
        }
        state.segments.removeAll()
    }

    /// A line of this role was there but cannot be read (cut off, mangled): what it would have closed or
    /// taken is dropped, so that no other run gets it (issue 13: one cut `Background workflow` line had
    /// shifted the names of hundreds of later runs by one).
    private func cut(_ role: RuleRole, into out: inout [Attributed]) {
        switch role {
        case .endAnchor, .orphanEnd:
            // A run ended here, whose is not known: its burst is not the next run's.
            state.continuation = nil
            flushBurst(reason: "cut-end", into: &out)
        case .startAnchor:
            if !state.workflowHints.isEmpty { state.workflowHints.removeFirst() }
        case .lateEndAnchor where state.endStatus != nil:
            // The stream-json path's end (its status line came just before): the burst was that run's.
            state.endStatus = nil
            state.endStatusLine = nil
            flushBurst(reason: "cut-end", into: &out)
        case .postEnd:
            if let i = state.awaitingWorkflow.firstIndex(where: { $0.nameFollows == true }) {
                state.awaitingWorkflow[i].nameFollows = nil
            }
        default:
            break
        }
    }

    private func expire(into out: inout [Attributed]) {
        let now = state.line
        if let c = state.continuation, now - c.line > limits.continuationLines { state.continuation = nil }
        // The agent names a run's workflow within a few lines of its end; a name line lost without a trace
        // must not shift the names of runs that end later.
        for i in state.awaitingWorkflow.indices
        where state.awaitingWorkflow[i].nameFollows == true && now - state.awaitingWorkflow[i].line > limits.nameLines {
            state.awaitingWorkflow[i].nameFollows = nil
        }
        while let a = state.awaitingWorkflow.first, now - a.line > limits.awaitingLines {
            state.awaitingWorkflow.removeFirst()
            out.append(.run(id: a.runId, effects: [.workflowUnknown], timeMs: nil, attribution: .exact))
        }
        while let h = state.workflowHints.first, now - h.line > limits.hintLines { state.workflowHints.removeFirst() }
        while let a = state.awaitingWorkspace.first, now - a.line > limits.workspaceLines {
            state.awaitingWorkspace.removeFirst()
        }
        while let p = state.commitPending.first, now - p.line > limits.commitLines { state.commitPending.removeFirst() }
        if let first = state.segments.first, now - first.line > limits.burstLines {
            flushBurst(reason: "no-end-anchor", into: &out)
        }
    }
}
