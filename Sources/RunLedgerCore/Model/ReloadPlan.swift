/// A configuration as a reload compares it: the sources followed, the sinks by name, and every other
/// setting as canonical text under its config key, each the value in effect (a flag's over the file's).
public struct ConfigSnapshot: Sendable, Equatable {
    /// File patterns and journal selections, by the name they are followed under.
    public var sources: [String]
    /// Each sink's name and a text that changes when anything about it does (kind, address, filters).
    /// Never shown: an address is a secret.
    public var sinks: [String: String]
    /// Every other setting by its config key (`stall_after_minutes`), absent when unset.
    public var values: [String: String]

    public init(sources: [String] = [], sinks: [String: String] = [:], values: [String: String] = [:]) {
        self.sources = sources
        self.sinks = sinks
        self.values = values
    }
}

/// What a reload changes between the running configuration and the one just read, and what it cannot
/// change without a restart. Pure: the caller applies it and says `summary` and `restartNeeded`.
public struct ReloadPlan: Sendable, Equatable {
    public var addedSources: [String] = []
    public var removedSources: [String] = []
    public var addedSinks: [String] = []
    public var removedSinks: [String] = []
    /// Sinks kept by name whose kind, address or filters changed.
    public var changedSinks: [String] = []
    /// Settings that changed and take effect now, by key.
    public var applied: [String] = []
    /// Settings that changed but keep their running value until the next start, by key.
    public var ignored: [String] = []

    /// The settings a running serve takes over: alert thresholds and links, delivery retries, the
    /// log level and what the web config file says (`web_config`: users, headers, certificate and key). Sources and sinks reload too, compared by name. The others would change the ledger's
    /// shape or numbers already folded (the profile, the zone, the label caps and workflows), or are
    /// bound at start (the ledger, the listen address, the report sources, read-ahead).
    public static let reloadable: Set<String> = [
        "cost_budget_usd", "stall_after_minutes", "public_url", "retry_max_delay_seconds", "log_level",
        "journal_start", "web_config",
    ]

    public init(from old: ConfigSnapshot, to new: ConfigSnapshot) {
        addedSources = new.sources.filter { !old.sources.contains($0) }
        removedSources = old.sources.filter { !new.sources.contains($0) }
        addedSinks = new.sinks.keys.filter { old.sinks[$0] == nil }.sorted()
        removedSinks = old.sinks.keys.filter { new.sinks[$0] == nil }.sorted()
        changedSinks = new.sinks.keys.filter { old.sinks[$0] != nil && old.sinks[$0] != new.sinks[$0] }.sorted()
        for key in Set(old.values.keys).union(new.values.keys).sorted() where old.values[key] != new.values[key] {
            if Self.reloadable.contains(key) { applied.append(key) } else { ignored.append(key) }
        }
    }

    /// Whether the reload changes nothing that runs.
    public var changesNothing: Bool {
        addedSources.isEmpty && removedSources.isEmpty && addedSinks.isEmpty && removedSinks.isEmpty
            && changedSinks.isEmpty && applied.isEmpty
    }

    /// One line: what changed, or that nothing did.
    public var summary: String {
        var parts: [String] = []
        func add(_ what: String, _ names: [String]) {
            if !names.isEmpty { parts.append("\(what) \(names.joined(separator: ", "))") }
        }
        add("sources added:", addedSources)
        add("sources removed:", removedSources)
        add("sinks added:", addedSinks)
        add("sinks removed:", removedSinks)
        add("sinks changed:", changedSinks)
        add("settings changed:", applied)
        return parts.isEmpty ? "nothing changed" : parts.joined(separator: "; ")
    }

    /// One line for the settings left as they run, or nil when there are none.
    public var restartNeeded: String? {
        ignored.isEmpty ? nil : "\(ignored.joined(separator: ", ")) changed; kept as running until the next start"
    }
}
