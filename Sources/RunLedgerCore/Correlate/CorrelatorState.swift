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
        /// Which segment this is among those the source has had (0, 1, 2… in the order they opened):
        /// the ledger keeps a segment's facts under it, apart from the rest of the state.
        var id: Int64 = 0
        var facts: [PendingFact] = []
        var onceRules: [String] = []
        var lastProgress: Int64?
        /// A progress counter went back: two runs' progress lines are mixed in this segment.
        var progressMixed = false
        var line: Int64
        /// The unlinked session id the segment's lines carry, if any.
        var session: String?
        /// A run a line of the run's own thread named inside the segment (`SURGICAL SUCCESS: Persisted
        /// metrics to database for run R`): whose the segment is, when its end line does not say.
        var namedRun: String?
        /// A line of a session found in a mixed burst fell in this segment: its closing run is ambiguous.
        var mixedSession = false
        /// The segment's session had lines while two stream-json runs were in flight.
        var sharedFlight = false
    }

    enum SegmentKeys: String, CodingKey {
        case id, facts, onceRules, lastProgress, progressMixed, line, session, namedRun, mixedSession
        case sharedFlight
    }

    public struct Continuation: Codable, Sendable, Equatable {
        /// nil: the header named no run, so its lines join the burst.
        var runId: String?
        var line: Int64
    }

    public struct Awaiting: Codable, Sendable, Equatable {
        var runId: String
        var line: Int64
        /// The run's end line was the agent's, which names the workflow next (`Background workflow …`).
        var nameFollows: Bool?
    }

    public struct Hint: Codable, Sendable, Equatable {
        var name: String
        var line: Int64
    }

    /// A worktree's path and the branch its creation line named.
    public struct Worktree: Codable, Sendable, Equatable {
        var path: String
        var branch: String
    }

    /// A run whose `Background workflow … completed` line came and whose auto-commit has said nothing yet.
    public struct CommitPending: Codable, Sendable, Equatable {
        var runId: String
        var line: Int64
        /// What that line said (`completed: True`/`False`).
        var succeeded: Bool?
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
    /// The id the next segment opened gets.
    var nextSegmentId: Int64 = 0
    var continuation: Continuation?
    var awaitingWorkflow: [Awaiting] = []
    var workflowHints: [Hint] = []
    var ambiguousOwed = 0
    /// Runs whose own insert failed and that have not ended yet (audit M1), oldest first.
    var orphans: [Awaiting] = []
    /// Ends of such runs that did not say which run they were, oldest first.
    var orphanEnds: [PendingFact] = []
    /// The last runs whose end anchor was seen, so that a second end line closes no burst.
    var recentlyEnded: [String] = []
    /// A status line waiting for the end line that names its run (`RuleRole.preEnd`), and its line.
    var endStatus: PendingFact?
    var endStatusLine: Int64?
    /// The last runs that took (or passed) a workflow hint: a run's second start line takes none.
    var hinted: [String] = []
    /// Stream-json runs started and not ended (`RuleRole.streamStart`), oldest first.
    var streamsInFlight: [String] = []
    /// Unlinked sessions whose lines were found mixed with another run's: their lines stay unknown.
    var ambiguousSessions: [String] = []
    /// Runs started and not yet given a worktree, oldest first (`RuleRole.workspace`).
    var awaitingWorkspace: [Awaiting] = []
    /// The latest worktrees created, with their branches, oldest first.
    var worktrees: [Worktree] = []
    /// Runs whose auto-commit lines are due (`RuleRole.followsPostEnd`), oldest first.
    var commitPending: [CommitPending] = []

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

    /// Opens a segment at the current line, as the newest (last) one.
    mutating func openSegment() {
        var segment = Segment(id: nextSegmentId, line: line)
        // A burst holds a run's closing report lines (cost, turns, tokens…): room for them at once.
        segment.facts.reserveCapacity(8)
        segment.onceRules.reserveCapacity(8)
        segments.append(segment)
        nextSegmentId += 1
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
        case orphans, orphanEnds, recentlyEnded, ambiguousSessions, endStatus, endStatusLine
        case streamsInFlight, hinted, nextSegmentId, awaitingWorkspace, worktrees, commitPending
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        line = try c.decode(Int64.self, forKey: .line)
        segments = try c.decode([Segment].self, forKey: .segments)
        // States saved before segments had ids: number them in order, after any id already given.
        nextSegmentId = try c.decodeIfPresent(Int64.self, forKey: .nextSegmentId) ?? 0
        if !c.contains(.nextSegmentId) {
            for i in segments.indices {
                segments[i].id = nextSegmentId
                nextSegmentId += 1
            }
        }
        continuation = try c.decodeIfPresent(Continuation.self, forKey: .continuation)
        awaitingWorkflow = try c.decode([Awaiting].self, forKey: .awaitingWorkflow)
        workflowHints = try c.decode([Hint].self, forKey: .workflowHints)
        ambiguousOwed = try c.decode(Int.self, forKey: .ambiguousOwed)
        links = try c.decode([Link].self, forKey: .links)
        // Absent from states saved before these were kept.
        orphans = try c.decodeIfPresent([Awaiting].self, forKey: .orphans) ?? []
        orphanEnds = try c.decodeIfPresent([PendingFact].self, forKey: .orphanEnds) ?? []
        recentlyEnded = try c.decodeIfPresent([String].self, forKey: .recentlyEnded) ?? []
        ambiguousSessions = try c.decodeIfPresent([String].self, forKey: .ambiguousSessions) ?? []
        endStatus = try c.decodeIfPresent(PendingFact.self, forKey: .endStatus)
        endStatusLine = try c.decodeIfPresent(Int64.self, forKey: .endStatusLine)
        streamsInFlight = try c.decodeIfPresent([String].self, forKey: .streamsInFlight) ?? []
        hinted = try c.decodeIfPresent([String].self, forKey: .hinted) ?? []
        awaitingWorkspace = try c.decodeIfPresent([Awaiting].self, forKey: .awaitingWorkspace) ?? []
        worktrees = try c.decodeIfPresent([Worktree].self, forKey: .worktrees) ?? []
        commitPending = try c.decodeIfPresent([CommitPending].self, forKey: .commitPending) ?? []
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
        try c.encode(orphans, forKey: .orphans)
        try c.encode(orphanEnds, forKey: .orphanEnds)
        try c.encode(recentlyEnded, forKey: .recentlyEnded)
        try c.encode(ambiguousSessions, forKey: .ambiguousSessions)
        try c.encodeIfPresent(endStatus, forKey: .endStatus)
        try c.encodeIfPresent(endStatusLine, forKey: .endStatusLine)
        try c.encode(streamsInFlight, forKey: .streamsInFlight)
        try c.encode(hinted, forKey: .hinted)
        try c.encode(nextSegmentId, forKey: .nextSegmentId)
        try c.encode(awaitingWorkspace, forKey: .awaitingWorkspace)
        try c.encode(worktrees, forKey: .worktrees)
        try c.encode(commitPending, forKey: .commitPending)
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.line == b.line && a.links == b.links && a.segments == b.segments && a.continuation == b.continuation
            && a.awaitingWorkflow == b.awaitingWorkflow && a.workflowHints == b.workflowHints
            && a.ambiguousOwed == b.ambiguousOwed && a.orphans == b.orphans && a.orphanEnds == b.orphanEnds
            && a.recentlyEnded == b.recentlyEnded
            && a.ambiguousSessions == b.ambiguousSessions && a.endStatus == b.endStatus
            && a.endStatusLine == b.endStatusLine && a.streamsInFlight == b.streamsInFlight
            && a.hinted == b.hinted && a.nextSegmentId == b.nextSegmentId
            && a.awaitingWorkspace == b.awaitingWorkspace && a.worktrees == b.worktrees
            && a.commitPending == b.commitPending
    }
}

extension CorrelatorState.Segment {
    /// `facts` is absent where the ledger keeps the facts apart (`CorrelatorState.ledgerJSON`); `id`, from
    /// states saved before segments had one (the state's decoder numbers those).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CorrelatorState.SegmentKeys.self)
        id = try c.decodeIfPresent(Int64.self, forKey: .id) ?? 0
        facts = try c.decodeIfPresent([PendingFact].self, forKey: .facts) ?? []
        onceRules = try c.decode([String].self, forKey: .onceRules)
        lastProgress = try c.decodeIfPresent(Int64.self, forKey: .lastProgress)
        progressMixed = try c.decodeIfPresent(Bool.self, forKey: .progressMixed) ?? false
        line = try c.decode(Int64.self, forKey: .line)
        session = try c.decodeIfPresent(String.self, forKey: .session)
        namedRun = try c.decodeIfPresent(String.self, forKey: .namedRun)
        mixedSession = try c.decodeIfPresent(Bool.self, forKey: .mixedSession) ?? false
        sharedFlight = try c.decodeIfPresent(Bool.self, forKey: .sharedFlight) ?? false
    }
}
