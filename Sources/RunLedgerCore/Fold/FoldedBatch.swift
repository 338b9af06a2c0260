/// What one batch of a `RunFold` changed, ready to be committed in one transaction: everything in it
/// was computed from the records as the ledger held them when the batch first touched them.
public struct FoldedBatch {
    /// The runs whose record changed, in the order the batch first touched them; a run whose lines
    /// changed nothing (a status poll while it runs, the same report again) is not here.
    public var runs: [RunRecord] = []
    /// `runs[i]` as the ledger held it before the batch (nil: new to the ledger), for those who need
    /// the change and not only the result.
    public var stored: [RunRecord?] = []
    /// The alerts the changes raised (`AlertDetector`), run by run.
    public var alerts: [Alert] = []
    /// The change of every ledger-derived series: each changed run's contribution now minus its stored
    /// one, unattributed facts, folded labels and lines by result. Series that did not move are absent.
    public var delta: SeriesValues = [:]
    /// Lines folded in the batch, by result (results with none are absent).
    public var lineCounts: [LineResult: Int64] = [:]
    /// Facts no run could be given, with the source and line they came from.
    public var unattributed: [(source: String, line: Int64, group: UnattributedGroup)] = []
    /// The latest time of a fact in the batch, for the log clock; nil when no fact was dated.
    public var latestTimeMs: Int64?

    public init() {}
}
