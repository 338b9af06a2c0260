/// What a filter selects, said of one record: for a ledger backend that filters records itself. The
/// SQLite ledger says the same in SQL (`Ledger+RunFilter.swift`); `StoreReadsTests` holds the two to
/// the same answers.
extension RunFilter {
    public func matches(_ r: RunRecord) -> Bool {
        if falseFailure, !r.falseFailure { return false }
        if flagged, !r.isFlagged { return false }
        if stalled, !r.isStalled { return false }
        switch mismatch {
        case .any?: if r.mismatch.isEmpty { return false }
        case .field(let field)?: if !r.mismatch.values.contains(where: { $0.contains(field) }) { return false }
        case nil: break
        }
        if let workflow, r.workflowName != workflow { return false }
        if let status, r.currentStatus != status { return false }
        if sinceMs != nil || untilMs != nil {
            // A run with no start line counts by its end; one with neither is in no time range.
            guard let at = r.startedAtMs ?? r.endedAtMs else { return false }
            if let sinceMs, at < sinceMs { return false }
            if let untilMs, at >= untilMs { return false }
        }
        // Scalar by scalar, as SQLite compares text (`hasPrefix` would also take canonically equal spellings).
        if let idPrefix, !r.runId.unicodeScalars.starts(with: idPrefix.unicodeScalars) { return false }
        if let instance, r.instance != instance { return false }
        return true
    }
}
