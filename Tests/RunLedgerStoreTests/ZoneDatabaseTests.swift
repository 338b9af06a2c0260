import Foundation
import RunLedgerCore
import RunLedgerSources
import Testing

/// This machine's zone found as the C library finds it (`TZ` in its forms, then `/etc/localtime`), and a
/// zone name that is not one refused with one line naming where it came from. Offsets are the zones'
/// published ones (Berlin +02:00 in July, Kolkata +05:30, São Paulo -02:00 in January 2018).
@Suite struct ZoneDatabaseTests {
    static let july2025 = Int64(1_752_580_800)  // 2025-07-15T12:00:00Z
    static let january2025 = Int64(1_736_942_400)  // 2025-01-15T12:00:00Z
    static let january2018 = Int64(1_516_017_600)  // 2018-01-15T12:00:00Z

    @Test func tzNamesTheZoneInEachOfItsForms() throws {
        let named = try ZoneDatabase.host(environment: ["TZ": ":Europe/Berlin"])
        #expect(named.name == "Europe/Berlin")
        #expect(named.offset(atUTCSeconds: Self.july2025) == 7200)
        #expect(named.offset(atUTCSeconds: Self.january2025) == 3600)
        let file = try ZoneDatabase.host(environment: ["TZ": "/usr/share/zoneinfo/America/Sao_Paulo"])
        #expect(file.offset(atUTCSeconds: Self.january2018) == -7200)
        #expect(file.offset(atUTCSeconds: Self.january2025) == -10800)
        // A POSIX rule that names no file: expanded from 1970 on.
        let rule = try ZoneDatabase.host(environment: ["TZ": "CET-1CEST,M3.5.0,M10.5.0/3"])
        #expect(rule.offset(atUTCSeconds: Self.july2025) == 7200)
        #expect(rule.offset(atUTCSeconds: Self.january2025) == 3600)
        #expect(try ZoneDatabase.host(environment: ["TZ": ""]).offset(atUTCSeconds: Self.july2025) == 0)
    }

    @Test func withoutTZTheLocaltimeLinkNamesTheZone() throws {
        let dir = NSTemporaryDirectory() + "zones-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(
            atPath: dir + "/localtime", withDestinationPath: "/usr/share/zoneinfo/Asia/Kolkata")
        let zone = try ZoneDatabase.host(environment: [:], localtime: dir + "/localtime")
        #expect(zone.name == "Asia/Kolkata")
        #expect(zone.offset(atUTCSeconds: Self.july2025) == 19_800)
        let none = try ZoneDatabase.host(environment: [:], localtime: dir + "/missing")
        #expect(none.offset(atUTCSeconds: Self.july2025) == 0)
    }

    @Test func namesAreLookedUpBelowTZDIROnly() throws {
        let dir = NSTemporaryDirectory() + "zones-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/Test", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: "/usr/share/zoneinfo/Asia/Kolkata", toPath: dir + "/Test/Zone")
        try Data("not a zone\n".utf8).write(to: URL(fileURLWithPath: dir + "/Test/Bad"))
        let env = ["TZDIR": dir]
        #expect(try ZoneDatabase.zone(named: "Test/Zone", origin: "--timezone", environment: env).name == "Test/Zone")
        func refusal(_ name: String) -> String {
            do {
                _ = try ZoneDatabase.zone(named: name, origin: "--timezone", environment: env)
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(
            refusal("Europe/Berlin").hasPrefix("--timezone Europe/Berlin: not a time zone in the tz database (\(dir);"))
        #expect(refusal("Test").hasPrefix("--timezone Test: not a time zone"))  // a directory
        #expect(refusal("../\(URL(fileURLWithPath: dir).lastPathComponent)/Test/Zone").contains("not a time zone"))
        #expect(refusal("/usr/share/zoneinfo/UTC").contains("not a time zone"))
        #expect(refusal("Test/Bad") == "--timezone Test/Bad: \(dir)/Test/Bad is not a TZif zone file (no TZif header)")
        #expect(!refusal("Test/Bad").contains("\n"))
    }
}
