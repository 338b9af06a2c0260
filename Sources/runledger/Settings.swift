import ArgumentParser
import Foundation
import RunLedgerCore
import RunLedgerIngest
import RunLedgerSources
import RunLedgerStore

/// The configuration file (JSON). Every key is optional; flags override the file.
///
/// ```json
/// {
///   "db": "./data/runledger.db",
///   "listen": "127.0.0.1:9477",
///   "sources": ["/var/log/automagik/debug.log"],
///   "profile": "automagik",
///   "workflows": ["builder", "surgeon"],
///   "timezone": "Europe/Berlin",
///   "tool_label_cap": 64,
///   "workflow_label_cap": 64,
///   "read_ahead_lines": 262144,
///   "executor_db": "/srv/automagik/workflow_runs.db",
///   "status_api": { "url": "http://127.0.0.1:8881", "api_key": "env:AUTOMAGIK_API_KEY" },
///   "log_level": "info",
///   "web_config_file": "/etc/runledger/web.yml"
/// }
/// ```
struct Settings {
    var db: String?
    /// The name this host writes a shared (PostgreSQL) ledger under; nil: the host name.
    var instance: String?
    var listen: String?
    var sources: [String] = []
    var profile = "automagik"
    /// The profile `profile` names (checked when the settings are read).
    var resolvedProfile: Profile { Profile.named(profile) ?? .automagik }
    var workflows: [String] = []
    var utcOffset: String?
    var timezone: String?
    var toolLabelCap: Int?
    var workflowLabelCap: Int?
    var readAheadLines: Int?
    var journal: JournalSelection?
    var journalStart: String?
    var webhooks: [WebhookSetting] = []
    var stallAfterMinutes: Double?
    var costBudgetUSD: Double?
    var publicURL: String?
    var executorDB: String?
    var statusAPI: StatusAPISettings?
    var retryMaxDelaySeconds: Double?
    /// `serve`'s log level (`LogLevel`); nil: info.
    var logLevel: String?
    /// `--web.config.file`: TLS and basic auth (exporter-toolkit's YAML); nil: plain HTTP, no auth.
    var webConfigFile: String?
    /// The config file these settings came from, for messages.
    var file: String?

    static let keys: Set<String> = [
        "db", "listen", "sources", "profile", "workflows", "utc_offset", "timezone", "tool_label_cap",
        "workflow_label_cap",
        "journal", "webhooks",
        "cost_budget_usd", "public_url", "executor_db", "status_api", "stall_after_minutes",
        "retry_max_delay_seconds", "read_ahead_lines", "log_level", "web_config_file", "instance",
    ]
    static let journalKeys: Set<String> = ["units", "identifiers", "matches", "directory", "files", "start"]

    /// Reads and validates a config file; the error names the file and the key at fault.
    static func load(_ path: String) throws -> Settings {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure("\(path): cannot read the config file")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw Failure("\(path): not valid JSON (\((error as NSError).userInfo["NSDebugDescription"] ?? error))")
        }
        guard let dict = object as? [String: Any] else { throw Failure("\(path): the top level must be a JSON object") }
        for key in dict.keys.sorted() where !keys.contains(key) {
            throw Failure("\(path): unknown key \"\(key)\" (known: \(keys.sorted().joined(separator: ", ")))")
        }
        var s = Settings()
        s.file = path
        func string(_ key: String) throws -> String? {
            guard let v = dict[key] else { return nil }
            guard let str = v as? String, !str.isEmpty else {
                throw Failure("\(path): \"\(key)\" must be a non-empty string")
            }
            return str
        }
        func strings(_ key: String) throws -> [String] {
            guard let v = dict[key] else { return [] }
            guard let list = v as? [String], list.allSatisfy({ !$0.isEmpty }) else {
                throw Failure("\(path): \"\(key)\" must be a list of non-empty strings")
            }
            return list
        }
        s.db = try string("db")
        s.instance = try string("instance")
        s.listen = try string("listen")
        s.webConfigFile = try string("web_config_file")
        s.sources = try strings("sources")
        s.profile = try string("profile") ?? "automagik"
        s.workflows = try strings("workflows")
        s.utcOffset = try string("utc_offset")
        s.timezone = try string("timezone")
        if let v = dict["tool_label_cap"] {
            guard let n = v as? Int, n > 0, !isJSONBool(v) else {
                throw Failure("\(path): \"tool_label_cap\" must be a positive whole number")
            }
            s.toolLabelCap = n
        }
        if let v = dict["workflow_label_cap"] {
            guard let n = v as? Int, n > 0, !isJSONBool(v) else {
                throw Failure("\(path): \"workflow_label_cap\" must be a positive whole number")
            }
            s.workflowLabelCap = n
        }
        if let v = dict["read_ahead_lines"] {
            guard let n = v as? Int, n >= 0, !isJSONBool(v) else {
                throw Failure("\(path): \"read_ahead_lines\" must be a whole number of lines (0: one thread)")
            }
            s.readAheadLines = n
        }
        if let v = dict["journal"] {
            guard let j = v as? [String: Any] else { throw Failure("\(path): \"journal\" must be an object") }
            for key in j.keys.sorted() where !journalKeys.contains(key) {
                throw Failure(
                    "\(path): unknown key \"journal.\(key)\" (known: \(journalKeys.sorted().joined(separator: ", ")))")
            }
            func list(_ key: String) throws -> [String] {
                guard let v = j[key] else { return [] }
                guard let l = v as? [String], l.allSatisfy({ !$0.isEmpty }) else {
                    throw Failure("\(path): \"journal.\(key)\" must be a list of non-empty strings")
                }
                return l
            }
            var sel = JournalSelection()
            sel.units = try list("units")
            sel.identifiers = try list("identifiers")
            sel.matches = try list("matches")
            sel.files = try list("files")
            if let d = j["directory"] {
                guard let dir = d as? String, !dir.isEmpty else {
                    throw Failure("\(path): \"journal.directory\" must be a non-empty string")
                }
                sel.directories = [dir]
            }
            if let st = j["start"] {
                guard let text = st as? String, text == "beginning" || text == "end" else {
                    throw Failure("\(path): \"journal.start\" must be \"beginning\" or \"end\"")
                }
                s.journalStart = text
            }
            s.journal = sel
        }
        if let v = dict["webhooks"] {
            guard let list = v as? [Any] else { throw Failure("\(path): \"webhooks\" must be a list") }
            s.webhooks = try list.enumerated().map { try WebhookSetting.parse($1, index: $0, path: path) }
        }
        s.publicURL = try string("public_url")
        s.executorDB = try string("executor_db")
        if let v = dict["status_api"] { s.statusAPI = try StatusAPISettings.load(v, file: path) }
        if let v = dict["cost_budget_usd"] {
            guard let n = (v as? NSNumber)?.doubleValue, !isJSONBool(v), n > 0 else {
                throw Failure("\(path): \"cost_budget_usd\" must be a positive number")
            }
            s.costBudgetUSD = n
        }
        if let v = dict["stall_after_minutes"] {
            guard let n = (v as? NSNumber)?.doubleValue, !isJSONBool(v), n >= 0 else {
                throw Failure("\(path): \"stall_after_minutes\" must be a number of minutes (0: off)")
            }
            s.stallAfterMinutes = n
        }
        if let v = dict["retry_max_delay_seconds"] {
            guard let n = (v as? NSNumber)?.doubleValue, !isJSONBool(v), n >= 1, n <= 3600 else {
                throw Failure("\(path): \"retry_max_delay_seconds\" must be a number from 1 to 3600")
            }
            s.retryMaxDelaySeconds = n
        }
        if let level = try string("log_level") {
            guard LogLevel.parse(level) != nil else {
                throw Failure("\(path): \"log_level\" is \"\(level)\"; one of \(LogLevel.names)")
            }
            s.logLevel = level
        }
        guard Profile.named(s.profile) != nil else {
            throw Failure(
                "\(path): \"profile\" is \"\(s.profile)\"; the built-in profiles are "
                    + Profile.builtIn.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", "))
        }
        if let l = s.listen { _ = try parseListen(l, origin: "\(path): \"listen\"") }
        if s.utcOffset != nil, s.timezone != nil {
            throw Failure("\(path): \"utc_offset\" and \"timezone\" both given; keep one (see docs/timezones.md)")
        }
        if let o = s.utcOffset { _ = try parseUTCOffset(o, origin: "\(path): \"utc_offset\"") }
        if let z = s.timezone { _ = try zone(named: z, origin: "\(path): \"timezone\"") }
        return s
    }

    static func parseListen(_ text: String, origin: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port), colon > text.startIndex
        else { throw Failure("\(origin): \"\(text)\" is not HOST:PORT") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// The executor's zone (its timestamps have none), from `--timezone`/`--utc-offset` or else the
    /// config's `timezone`/`utc_offset`, else this machine's zone. Both flags at once is refused: one
    /// would silently lose. `local` in either means this machine's zone, with its DST rules.
    static func executorZone(_ settings: Settings, _ flags: SourceOptions) throws -> ZoneRules {
        if flags.timezone != nil, flags.utcOffset != nil {
            throw Failure(
                "--timezone \(flags.timezone!) and --utc-offset \(flags.utcOffset!): give one (a zone, or a fixed offset)"
            )
        }
        if let name = flags.timezone { return try zone(named: name, origin: "--timezone") }
        if let text = flags.utcOffset { return try fixedZone(text, origin: "--utc-offset") }
        if let name = settings.timezone {
            return try zone(named: name, origin: "\(settings.file ?? "config"): \"timezone\"")
        }
        if let text = settings.utcOffset {
            return try fixedZone(text, origin: "\(settings.file ?? "config"): \"utc_offset\"")
        }
        return try ZoneDatabase.host()
    }

    static func zone(named name: String, origin: String) throws -> ZoneRules {
        do {
            return name == "local" ? try ZoneDatabase.host() : try ZoneDatabase.zone(named: name, origin: origin)
        } catch let e as SourceError { throw Failure(e.description) }
    }

    static func fixedZone(_ text: String, origin: String) throws -> ZoneRules {
        guard let offset = try parseUTCOffset(text, origin: origin) else {
            return try zone(named: "local", origin: origin)
        }
        return .fixed(offset, name: text)
    }

    /// `Z`, `UTC`, `+00:00`, `-03:00`, `-0300`: a fixed offset; `local` (nil): this machine's zone.
    static func parseUTCOffset(_ text: String, origin: String) throws -> Int? {
        if text == "local" { return nil }
        if text == "Z" || text == "UTC" { return 0 }
        let digits = text.dropFirst().filter { $0 != ":" }
        guard let sign = text.first, sign == "+" || sign == "-", digits.count == 4, let hh = Int(digits.prefix(2)),
            let mm = Int(digits.suffix(2)), hh < 24, mm < 60
        else { throw Failure("\(origin): \"\(text)\" is not a UTC offset (local, Z, +HH:MM or -HH:MM)") }
        return (hh * 3600 + mm * 60) * (sign == "-" ? -1 : 1)
    }
}

/// Options shared by the commands that read sources.
struct SourceOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (JSON); flags override it.")
    var config: String?

    @Option(
        name: .long,
        help: "The executor's fixed UTC offset: Z, +HH:MM or -HH:MM (local: this machine's zone, as --timezone local).")
    var utcOffset: String?

    @Option(
        name: .long,
        help:
            "The executor's time zone, from the tz database (Europe/Berlin); default: this machine's (TZ, /etc/localtime)."
    )
    var timezone: String?

    @Option(name: .customLong("journal-unit"), help: "Read the journal of this systemd unit (repeatable).")
    var journalUnits: [String] = []

    @Option(
        name: .customLong("journal-identifier"), help: "Read journal entries with this SYSLOG_IDENTIFIER (repeatable).")
    var journalIdentifiers: [String] = []

    @Option(name: .customLong("journal-match"), help: "Read journal entries matching FIELD=VALUE (repeatable).")
    var journalMatches: [String] = []

    @Option(
        name: .customLong("journal-dir"), help: "Read the journal files in this directory instead of the local journal."
    )
    var journalDirectory: String?

    @Option(
        name: .customLong("journal-file"), help: "Read this journal file instead of the local journal (repeatable).")
    var journalFiles: [String] = []

    @Option(name: .customLong("journal-start"), help: "Where a journal never read before starts: beginning or end.")
    var journalStart: String?

    @Option(
        name: .long,
        help: "Lines read ahead while catching up on a long file (default 262144, ~40 MiB; 0: one thread).")
    var readAheadLines: Int?

    @Option(
        name: .long,
        help: "The name this host writes a PostgreSQL ledger under (default: the host name); one writer per name.")
    var instance: String?

    @Argument(help: "Log files or glob patterns to read.")
    var sources: [String] = []

    func settings() throws -> Settings {
        try config.map(Settings.load) ?? Settings()
    }

    /// `--instance`, else the config's `instance`, else the host name; checked as a name.
    func instance(_ settings: Settings) throws -> String {
        try checkedInstance(instance ?? settings.instance, origin: instance != nil ? "--instance" : "\"instance\"")
    }

    /// The journal to read, from the flags or else the config file; nil when none is asked for.
    func journal(_ settings: Settings) throws -> JournalSelection? {
        var j = JournalSelection()
        j.units = journalUnits
        j.identifiers = journalIdentifiers
        j.matches = journalMatches
        j.directories = journalDirectory.map { [$0] } ?? []
        j.files = journalFiles
        if j.isEmpty, let fromConfig = settings.journal { j = fromConfig }
        guard !j.isEmpty else { return nil }
        for m in j.matches {
            guard let eq = m.firstIndex(of: "="), eq > m.startIndex,
                m[..<eq].allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" })
            else { throw Failure("--journal-match \(m): not FIELD=VALUE (FIELD in capitals, like _SYSTEMD_UNIT=x)") }
        }
        return j
    }

    /// `beginning` or `end`, from the flag, the config file, or the command's default.
    func start(_ settings: Settings, default d: JournalIngest.Start) throws -> JournalIngest.Start {
        guard let text = journalStart ?? settings.journalStart else { return d }
        guard let s = JournalIngest.Start(rawValue: text) else {
            throw Failure("--journal-start \(text): must be beginning or end")
        }
        return s
    }
}

/// An instance name as given, or the host name: printable, no spaces, at most 64 bytes (it is a label
/// in messages and a key in the ledger).
func checkedInstance(_ name: String?, origin: String) throws -> String {
    guard let name else { return LedgerBackends.defaultInstance }
    guard !name.isEmpty, name.utf8.count <= 64, name.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 })
    else { throw Failure("\(origin) \(name): an instance name is 1 to 64 printable ASCII characters, no spaces") }
    return name
}
