import ArgumentParser
import Foundation
import RunLedgerCore

/// The configuration file (JSON). Every key is optional; flags override the file.
///
/// ```json
/// {
///   "db": "./data/runledger.db",
///   "listen": "127.0.0.1:9477",
///   "sources": ["/var/log/automagik/debug.log"],
///   "profile": "automagik",
///   "workflows": ["builder", "surgeon"],
///   "utc_offset": "local",
///   "tool_label_cap": 64
/// }
/// ```
struct Settings {
    var db: String?
    var listen: String?
    var sources: [String] = []
    var profile = "automagik"
    var workflows: [String] = []
    var utcOffset: String?
    var toolLabelCap: Int?

    static let keys: Set<String> = ["db", "listen", "sources", "profile", "workflows", "utc_offset", "tool_label_cap"]

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
        s.listen = try string("listen")
        s.sources = try strings("sources")
        s.profile = try string("profile") ?? "automagik"
        s.workflows = try strings("workflows")
        s.utcOffset = try string("utc_offset")
        if let v = dict["tool_label_cap"] {
            guard let n = v as? Int, n > 0, !(v is Bool) else {
                throw Failure("\(path): \"tool_label_cap\" must be a positive whole number")
            }
            s.toolLabelCap = n
        }
        guard s.profile == "automagik" else {
            throw Failure("\(path): \"profile\" is \"\(s.profile)\"; the built-in profile is \"automagik\"")
        }
        if let l = s.listen { _ = try parseListen(l, origin: "\(path): \"listen\"") }
        if let o = s.utcOffset { _ = try parseUTCOffset(o, origin: "\(path): \"utc_offset\"") }
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

    /// `local`, `Z`, `+00:00`, `-03:00`, `-0300`: the executor's time zone (its timestamps have none).
    static func parseUTCOffset(_ text: String, origin: String) throws -> Int {
        if text == "local" { return TimeZone.current.secondsFromGMT() }
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

    @Option(name: .long, help: "The executor's UTC offset: local, Z, +HH:MM or -HH:MM (its timestamps have no zone).")
    var utcOffset: String?

    @Argument(help: "Log files to read.")
    var sources: [String] = []

    func settings() throws -> Settings {
        try config.map(Settings.load) ?? Settings()
    }
}
