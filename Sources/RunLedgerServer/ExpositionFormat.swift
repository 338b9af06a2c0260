import Foundation

/// The two exposition formats `/metrics` serves, and how a scrape chooses between them.
///
/// Prometheus 2.42 sends one fixed `Accept` header that prefers OpenMetrics
/// (`application/openmetrics-text;version=1.0.0,…;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`)
/// and has no setting to ask for the text format. A `format` query parameter (`?format=text`,
/// settable with `params:` in a scrape config) therefore overrides the header, so that a scrape job
/// can still take the text format.
public enum ExpositionFormat: Sendable, Equatable {
    /// Prometheus text format 0.0.4 (the default, and what `runledger metrics` prints).
    case text
    /// OpenMetrics 1.0.0: counter families named without `_total`, ends with `# EOF`.
    case openMetrics

    public var contentType: String {
        switch self {
        case .text: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// The value of the `format` query parameter: `text` or `openmetrics`; nil for anything else.
    public init?(parameter: String) {
        switch parameter.lowercased() {
        case "text": self = .text
        case "openmetrics": self = .openMetrics
        default: return nil
        }
    }

    /// The format an `Accept` header asks for. Media ranges are taken by falling q-value (header
    /// order breaks ties); the first one RunLedger can serve wins. OpenMetrics is served for
    /// `application/openmetrics-text` with no version or version 1.0.0 (not the pre-standard 0.0.1,
    /// which this renderer does not write); text 0.0.4 for `text/plain` with no version or 0.0.4.
    /// Wildcards, a missing header and anything unknown get the text format, as client_golang does.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .text }
        let ranges = accept.split(separator: ",").enumerated().compactMap { index, part in
            MediaRange(String(part)).map { (index, $0) }
        }
        let preferred = ranges.filter { $0.1.quality > 0 }.sorted {
            $0.1.quality != $1.1.quality ? $0.1.quality > $1.1.quality : $0.0 < $1.0
        }
        for (_, range) in preferred {
            switch (range.type, range.parameters["version"]) {
            case ("application/openmetrics-text", nil), ("application/openmetrics-text", "1.0.0"):
                return .openMetrics
            case ("text/plain", nil), ("text/plain", "0.0.4"):
                return .text
            default:
                continue
            }
        }
        return .text
    }
}

/// One media range of an `Accept` header: `type/subtype;param=value;q=0.5`.
struct MediaRange {
    /// Lower-cased `type/subtype`.
    var type: String
    /// Parameters other than `q`, names lower-cased, values unquoted.
    var parameters: [String: String] = [:]
    /// The q-value; 1 when absent, 0 (not acceptable) when unreadable.
    var quality = 1.0

    init?(_ text: String) {
        let parts = text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, first.contains("/") else { return nil }
        type = first.lowercased()
        for part in parts.dropFirst() {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let name = part[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var value = part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            if name == "q" {
                quality = Double(value).map { min(max($0, 0), 1) } ?? 0
            } else {
                parameters[name] = value
            }
        }
    }
}

/// `Accept-Encoding` (RFC 9110 §12.5.3): whether gzip may be sent.
enum ContentCoding {
    /// True when `gzip` (or `x-gzip`, or `*` with gzip not refused) has a q-value above 0.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzip: Double?
        var wildcard: Double?
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = pieces.first, !coding.isEmpty else { continue }
            var quality = 1.0
            for parameter in pieces.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)).map { min(max($0, 0), 1) } ?? 0
            }
            switch coding {
            case "gzip", "x-gzip": gzip = max(gzip ?? 0, quality)
            case "*": wildcard = quality
            default: continue
            }
        }
        return (gzip ?? wildcard ?? 0) > 0
    }
}
