import Foundation
import RunLedgerCore

/// Finds a time zone in the system's tz database (the files `date` and the C library read) and
/// hands its bytes to `TZif.rules`: the I/O half of the executor's zone; the rules live in Core.
public enum ZoneDatabase {
    /// `$TZDIR`, as the C library honours it, else `/usr/share/zoneinfo`.
    public static func directory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["TZDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/share/zoneinfo"
    }

    /// The zone named `name` (`Europe/Berlin`, `UTC`); `origin` names the flag or key in the error.
    public static func zone(
        named name: String, origin: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ZoneRules {
        let dir = directory(environment)
        // A name is a path below the database, never a way out of it.
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"),
            parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
            let bytes = read("\(dir)/\(name)")
        else {
            throw SourceError("\(origin) \(name): not a time zone in the tz database (\(dir); e.g. Europe/Berlin, UTC)")
        }
        do { return try TZif.rules(bytes, name: name) } catch {
            throw SourceError("\(origin) \(name): \(dir)/\(name) is \(error)")
        }
    }

    /// This machine's zone as the C library finds it: `TZ` (a zone name, `:name`, a file, or a POSIX
    /// rule such as `CET-1CEST,M3.5.0,M10.5.0/3`; empty is UTC), else `/etc/localtime`, else UTC.
    public static func host(
        environment: [String: String] = ProcessInfo.processInfo.environment, localtime: String = "/etc/localtime"
    ) throws -> ZoneRules {
        if let tz = environment["TZ"] {
            var text = tz
            if text.hasPrefix(":") { text.removeFirst() }
            if text.isEmpty { return .fixed(0, name: "UTC") }
            if text.hasPrefix("/") { return try file(text, name: text, origin: "TZ=\(tz):") }
            if let rules = try? zone(named: text, origin: "TZ", environment: environment) { return rules }
            if !tz.hasPrefix(":"), let rule = try? PosixTZ.parse(text) {
                return ZoneRules(
                    name: text, initialOffset: rule.standardOffset,
                    transitions: rule.transitions(years: 1970...TZif.lastYear))
            }
            throw SourceError(
                "TZ=\(tz): not a time zone in the tz database (\(directory(environment))) nor a POSIX TZ rule")
        }
        guard FileManager.default.fileExists(atPath: localtime) else { return .fixed(0, name: "UTC") }
        return try file(localtime, name: zoneName(localtime) ?? "localtime", origin: "\(localtime):")
    }

    private static func file(_ path: String, name: String, origin: String) throws -> ZoneRules {
        guard let bytes = read(path) else { throw SourceError("\(origin) cannot read \(path)") }
        do { return try TZif.rules(bytes, name: name) } catch { throw SourceError("\(origin) \(path) is \(error)") }
    }

    /// `Europe/Berlin` for `/etc/localtime -> /usr/share/zoneinfo/Europe/Berlin`, for messages.
    private static func zoneName(_ path: String) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path),
            let r = target.range(of: "zoneinfo/")
        else { return nil }
        return String(target[r.upperBound...])
    }

    /// A regular file's bytes; nil for a directory (`Europe`) or anything unreadable.
    private static func read(_ path: String) -> [UInt8]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
            let data = FileManager.default.contents(atPath: path)
        else { return nil }
        return [UInt8](data)
    }
}
