/// What RunLedger concluded about a run, in words, with the reason: the run page, and anything else
/// that explains a flag to a person.
extension RunRecord {
    /// The TaskGroup verdict: whether the executor reported a TaskGroup error for the run, and what it did.
    public var taskgroupVerdict: String {
        guard taskgroupError else { return "no TaskGroup error reported" }
        return hasEnded
            ? "the executor reported a TaskGroup error; the run ended \(currentStatus.rawValue)"
            : "the executor reported a TaskGroup error; the run has not ended"
    }

    /// The false-failure verdict and its reason (DESIGN.md: ended failed after a TaskGroup error, with real work).
    public var falseFailureVerdict: String {
        if falseFailure {
            return "false failure: marked failed after a TaskGroup error, yet it did real work (\(workDone))"
        }
        if currentStatus == .failed, taskgroupError { return "failed after a TaskGroup error, and no work was seen" }
        if currentStatus == .failed { return "failed, with no TaskGroup error: a real failure as far as the logs tell" }
        return "not a false failure (\(hasEnded ? "ended \(currentStatus.rawValue)" : "not ended"))"
    }

    /// The work the logs show, in words: `26 turns, 3 tools, $1.399600000`.
    public var workDone: String {
        var parts: [String] = []
        if turnCount > 0 { parts.append("\(turnCount) turn\(turnCount == 1 ? "" : "s")") }
        if toolCount > 0 { parts.append("\(toolCount) tool\(toolCount == 1 ? "" : "s")") }
        if cost > 0 { parts.append("$" + JSONWriter.decimalText(cost, scale: 9)) }
        if totalTokens > 0 { parts.append("\(totalTokens) tokens") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
