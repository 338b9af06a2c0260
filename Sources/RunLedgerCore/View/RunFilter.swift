/// Which runs a list shows, as `/api/runs`, `/runs` and `runledger runs` take it: read and checked in one
/// place, so that the three agree, and a parameter nobody knows is an error that names it rather than a
/// filter silently dropped (`?workflow=brain` used to be ignored, and the whole ledger came back).
public struct RunFilter: Sendable, Equatable {
    public enum Mismatch: Sendable, Equatable {
        /// Any field of any source.
        case any
        /// One field (`cost`, `tokens`, `turns`, `tools`) of any source.
        case field(String)
    }

    public var falseFailure = false
    /// False failures or mismatches (`flagged=1`, kept from before the finer filters).
    public var flagged = false
    public var stalled = false
    public var mismatch: Mismatch?
    public var workflow: String?
    public var status: RunStatus?
    /// Started at or after / before (milliseconds since the epoch); a run with no start line counts by its end.
    public var sinceMs: Int64?
    public var untilMs: Int64?
    /// A prefix of the run id.
    public var idPrefix: String?
    /// The instance that wrote the run (a fleet's ledger); an SQLite ledger has none, so nothing matches.
    public var instance: String?

    public init() {}

    public static let mismatchFields = ["cost", "tokens", "turns", "tools"]

    public var isEmpty: Bool { self == RunFilter() }
}

/// Where a page of a newest-first list starts and how long it is.
public struct RunPage: Sendable, Equatable {
    public var limit: Int
    /// The opaque cursor of the previous page's last run (`next_cursor`); nil for the first page.
    public var cursor: Int64?

    public init(limit: Int, cursor: Int64? = nil) {
        self.limit = limit
        self.cursor = cursor
    }
}

public struct RunFilterError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension RunFilter {
    /// The query parameters a list takes (`limit` and `cursor` page it).
    public static let parameters = [
        "false_failure", "flagged", "stalled", "mismatch", "workflow", "status", "since", "until", "q", "instance",
        "limit", "cursor",
    ]

    /// Reads `pairs` (a URL's query, in order). An empty value is no filter (an HTML form sends every
    /// field); an unknown name, a repeated one or a value that cannot be read is an error naming it.
    public static func parse(_ pairs: [(name: String, value: String)], defaultLimit: Int, maxLimit: Int)
        throws(RunFilterError) -> (RunFilter, RunPage)
    {
        let unknown = pairs.map(\.name).filter { !parameters.contains($0) }
        if !unknown.isEmpty {
            throw RunFilterError(
                "unknown parameter\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")) (known: \(parameters.joined(separator: ", ")))"
            )
        }
        var seen: Set<String> = []
        var filter = RunFilter()
        var page = RunPage(limit: defaultLimit)
        for (name, value) in pairs {
            guard seen.insert(name).inserted else { throw RunFilterError("\(name) is given twice") }
            if value.isEmpty { continue }
            switch name {
            case "false_failure": filter.falseFailure = try flag(name, value)
            case "flagged": filter.flagged = try flag(name, value)
            case "stalled": filter.stalled = try flag(name, value)
            case "mismatch":
                if value == "any" {
                    filter.mismatch = .any
                } else if mismatchFields.contains(value) {
                    filter.mismatch = .field(value)
                } else {
                    throw RunFilterError("mismatch must be any or one of \(mismatchFields.joined(separator: ", "))")
                }
            case "workflow": filter.workflow = value
            case "status":
                guard let s = RunStatus(rawValue: value) else {
                    throw RunFilterError(
                        "status must be one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                filter.status = s
            case "since", "until":
                guard let ms = RFC3339.epochMs(value) else {
                    throw RunFilterError(
                        "\(name) must be an RFC 3339 time (2025-06-19T18:00:00Z) or a date (2025-06-19)")
                }
                if name == "since" { filter.sinceMs = ms } else { filter.untilMs = ms }
            case "q": filter.idPrefix = value
            case "instance": filter.instance = value
            case "limit":
                guard let n = Int(value), n >= 1 else { throw RunFilterError("limit must be a whole number from 1") }
                guard n <= maxLimit else { throw RunFilterError("limit must be at most \(maxLimit)") }
                page.limit = n
            case "cursor":
                guard let c = Int64(value), c > 0 else { throw RunFilterError("cursor must be a next_cursor value") }
                page.cursor = c
            default: break
            }
        }
        return (filter, page)
    }

    private static func flag(_ name: String, _ value: String) throws(RunFilterError) -> Bool {
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw RunFilterError("\(name) must be 1 or 0")
        }
    }

    /// The filter as query parameters (for links to the next page and from the landing page's totals).
    public var queryItems: [(name: String, value: String)] {
        var out: [(String, String)] = []
        if falseFailure { out.append(("false_failure", "1")) }
        if flagged { out.append(("flagged", "1")) }
        if stalled { out.append(("stalled", "1")) }
        switch mismatch {
        case .any?: out.append(("mismatch", "any"))
        case .field(let f)?: out.append(("mismatch", f))
        case nil: break
        }
        if let workflow { out.append(("workflow", workflow)) }
        if let status { out.append(("status", status.rawValue)) }
        if let sinceMs { out.append(("since", Timestamps.iso8601(ms: sinceMs))) }
        if let untilMs { out.append(("until", Timestamps.iso8601(ms: untilMs))) }
        if let idPrefix { out.append(("q", idPrefix)) }
        if let instance { out.append(("instance", instance)) }
        return out
    }
}

/// RFC 3339 date-times (`2025-06-19T18:00:00Z`, `…T18:00:00.5+02:00`, a space for the `T`) and bare dates
/// (midnight UTC), to milliseconds since the epoch.
public enum RFC3339 {
    public static func epochMs(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for i in at..<(at + n) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = digits(0, 4), b.count >= 10, b[4] == 45, let mo = digits(5, 2), b[7] == 45, let d = digits(8, 2),
            (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        if b.count == 10 {
            return CivilTime.epochMs(
                year: y, month: mo, day: d, hour: 0, minute: 0, second: 0, ms: 0, utcOffsetSeconds: 0)
        }
        guard b.count >= 20, b[10] == 84 || b[10] == 116 || b[10] == 32, let h = digits(11, 2), b[13] == 58,
            let mi = digits(14, 2), b[16] == 58, let s = digits(17, 2), h < 24, mi < 60, s < 61
        else { return nil }
        var i = 19
        var ms = 0
        if b[i] == 46 {
            i += 1
            var scale = 100
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                ms += Int(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == 90 || b[i] == 122 {
            guard i + 1 == b.count else { return nil }
        } else {
            guard b[i] == 43 || b[i] == 45, i + 6 == b.count, let oh = digits(i + 1, 2), b[i + 3] == 58,
                let om = digits(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offset = (oh * 3600 + om * 60) * (b[i] == 45 ? -1 : 1)
        }
        return CivilTime.epochMs(
            year: y, month: mo, day: d, hour: h, minute: mi, second: min(s, 59), ms: ms, utcOffsetSeconds: offset)
    }
}

extension RunFilter {
    /// A URL's query (`a=1&b=x+y%2F`) as name–value pairs in order, decoded as an HTML form sends them:
    /// `+` is a space, `%XX` a byte; a malformed escape is kept as it is written.
    public static func pairs(fromQuery query: String?) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (formDecoded(kv[0]), kv.count > 1 ? formDecoded(kv[1]) : "")
        }
    }

    static func formDecoded(_ s: Substring) -> String {
        let b = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 65...70: c - 55
            case 97...102: c - 87
            default: nil
            }
        }
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "+") {
                out.append(32)
            } else if b[i] == UInt8(ascii: "%"), i + 2 < b.count, let h = hex(b[i + 1]), let l = hex(b[i + 2]) {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(b[i])
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
