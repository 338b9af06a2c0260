extension RunRecord {
    /// The attribution shown to users: a run whose workflow is only a neighbouring line's hint is `inferred`.
    public var shownAttribution: Attribution {
        workflow?.rank == .hint ? max(attribution, .inferred) : attribution
    }
}
