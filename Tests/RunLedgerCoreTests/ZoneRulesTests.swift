import Foundation
import Testing

@testable import RunLedgerCore

/// Issue 12, item 2: a wall-clock time from the executor's log becomes the instant it was, with the
/// offset in force then. Expected instants are worked out from the zones' rules as published
/// (`TZ=Europe/Berlin date -d '2025-07-15 12:00'` says CEST, +02:00), not from this code.
@Suite struct ZoneRulesTests {
    /// The system's tz database file for `name` (Debian's tzdata), read here: Core only decodes.
    static func zone(_ name: String) throws -> ZoneRules {
        let data = try #require(FileManager.default.contents(atPath: "/usr/share/zoneinfo/\(name)"))
        return try TZif.rules([UInt8](data), name: name)
    }

    /// The UTC time an extractor gives a verbose line written at `wall` (`2025-07-15 12:00:00`).
    static func utc(_ extractor: Extractor, _ wall: String) -> String? {
        let line = Executor.verbose("SDK Executor: Processing 9 collected messages", at: wall + ",250")
        return withBytes(line) { extractor.extract($0) }.timeMs.map(Timestamps.iso8601)
    }

    static func extractor(_ zone: ZoneRules) -> Extractor {
        try! Extractor(profile: .automagik, envelopes: EnvelopeParser(zone: zone))
    }

    @Test func theSameWallClockLinesInJanuaryAndJulyTakeTheirOwnOffsets() throws {
        // One extractor reads all the lines, in this order, as one reader of one log would: its
        // cached offset must not carry January's into July, nor Berlin's into São Paulo's.
        let berlin = Self.extractor(try Self.zone("Europe/Berlin"))
        #expect(Self.utc(berlin, "2025-01-15 12:00:00") == "2025-01-15T11:00:00.250Z")  // CET, +01:00
        #expect(Self.utc(berlin, "2025-07-15 12:00:00") == "2025-07-15T10:00:00.250Z")  // CEST, +02:00
        #expect(Self.utc(berlin, "2025-01-15 12:00:00") == "2025-01-15T11:00:00.250Z")  // back again
        // Past 2037, the end of the file's list: the footer's rule (CET-1CEST,M3.5.0,M10.5.0/3) goes on.
        #expect(Self.utc(berlin, "2050-07-15 12:00:00") == "2050-07-15T10:00:00.250Z")
        #expect(Self.utc(berlin, "2050-01-15 12:00:00") == "2050-01-15T11:00:00.250Z")

        let saoPaulo = Self.extractor(try Self.zone("America/Sao_Paulo"))
        // No daylight saving since 2019: -03:00 all year.
        #expect(Self.utc(saoPaulo, "2025-01-15 12:00:00") == "2025-01-15T15:00:00.250Z")
        #expect(Self.utc(saoPaulo, "2025-07-15 12:00:00") == "2025-07-15T15:00:00.250Z")
        // Summer time 2017-10-15 to 2018-02-18: January 2018 was -02:00, July 2018 -03:00.
        #expect(Self.utc(saoPaulo, "2018-01-15 12:00:00") == "2018-01-15T14:00:00.250Z")
        #expect(Self.utc(saoPaulo, "2018-07-15 12:00:00") == "2018-07-15T15:00:00.250Z")
    }

    @Test func theRepeatedAutumnHourIsItsFirstOccurrence() throws {
        // 2025-10-26 03:00 CEST (01:00Z) the clocks went back to 02:00 CET: 02:30 shows twice, at
        // 00:30Z (+02:00) and 01:30Z (+01:00). Documented: the first, the offset before the change.
        let berlin = try Self.zone("Europe/Berlin")
        let e = Self.extractor(berlin)
        #expect(Self.utc(e, "2025-10-26 01:59:59") == "2025-10-25T23:59:59.250Z")
        #expect(Self.utc(e, "2025-10-26 02:00:00") == "2025-10-26T00:00:00.250Z")
        #expect(Self.utc(e, "2025-10-26 02:30:00") == "2025-10-26T00:30:00.250Z")
        #expect(Self.utc(e, "2025-10-26 02:59:59") == "2025-10-26T00:59:59.250Z")
        #expect(Self.utc(e, "2025-10-26 03:00:00") == "2025-10-26T02:00:00.250Z")  // CET only
        #expect(berlin.offset(atUTCSeconds: Self.seconds("2025-10-26T00:59:59Z")) == 7200)
        #expect(berlin.offset(atUTCSeconds: Self.seconds("2025-10-26T01:00:00Z")) == 3600)
    }

    @Test func theSkippedSpringHourTakesTheOffsetBeforeTheChange() throws {
        // 2025-03-30 02:00 CET (01:00Z) the clocks went on to 03:00 CEST: 02:30 never showed. Read as
        // if they had not moved yet (+01:00): 01:30Z, which they showed as 03:30.
        let e = Self.extractor(try Self.zone("Europe/Berlin"))
        #expect(Self.utc(e, "2025-03-30 01:59:59") == "2025-03-30T00:59:59.250Z")
        #expect(Self.utc(e, "2025-03-30 02:30:00") == "2025-03-30T01:30:00.250Z")
        #expect(Self.utc(e, "2025-03-30 03:00:00") == "2025-03-30T01:00:00.250Z")  // CEST from here
        #expect(Self.utc(e, "2025-03-30 03:30:00") == "2025-03-30T01:30:00.250Z")
    }

    @Test func aFixedOffsetIsTheSameAllYear() {
        let e = Self.extractor(.fixed(-3 * 3600, name: "-03:00"))
        #expect(Self.utc(e, "2025-01-15 12:00:00") == "2025-01-15T15:00:00.250Z")
        #expect(Self.utc(e, "2025-07-15 12:00:00") == "2025-07-15T15:00:00.250Z")
    }

    @Test func journalShortLinesTakeTheZoneToo() throws {
        // `journalctl`'s short output has no zone either (nor a year: the assumed one).
        let parser = EnvelopeParser(zone: try Self.zone("Europe/Berlin"), assumedYear: 2025)
        func utc(_ line: String) -> String? { withBytes(line) { parser.parse($0) }.timeMs.map(Timestamps.iso8601) }
        #expect(utc("Jan 15 12:00:00 host python[1]: hello") == "2025-01-15T11:00:00.000Z")
        #expect(utc("Jul 15 12:00:00 host python[1]: hello") == "2025-07-15T10:00:00.000Z")
        // An ISO line that carries its own offset keeps it, whatever the zone says.
        #expect(utc("2025-07-15T12:00:00+0000 host python[1]: hello") == "2025-07-15T12:00:00.000Z")
        #expect(utc("2025-07-15T12:00:00 host python[1]: hello") == "2025-07-15T10:00:00.000Z")
    }

    @Test func aSlimFileLivesOnItsFooterRule() throws {
        // A TZif v2 file with no listed change at all, only a type and the footer (what zic -b slim
        // writes for many zones): every offset comes from the POSIX rule.
        let e = Self.extractor(try TZif.rules(Self.slimTZif(footer: "CET-1CEST,M3.5.0,M10.5.0/3"), name: "slim"))
        #expect(Self.utc(e, "2025-01-15 12:00:00") == "2025-01-15T11:00:00.250Z")
        #expect(Self.utc(e, "2025-07-15 12:00:00") == "2025-07-15T10:00:00.250Z")
        #expect(Self.utc(e, "2025-10-26 02:30:00") == "2025-10-26T00:30:00.250Z")
    }

    @Test func aSouthernRuleChangesTwiceAYearTheOtherWayRound() throws {
        // Sydney: summer time ends the first Sunday of April at 03:00 (+11:00), starts the first Sunday
        // of October at 02:00 (+10:00): 2025-04-06 and 2025-10-05.
        let rule = try #require(try PosixTZ.parse("AEST-10AEDT,M10.1.0,M4.1.0/3"))
        let changes = rule.transitions(years: 2025...2025)
        #expect(
            changes.map(\.utcSeconds) == [Self.seconds("2025-04-05T16:00:00Z"), Self.seconds("2025-10-04T16:00:00Z")])
        #expect(changes.map(\.offsetSeconds) == [36_000, 39_600])
    }

    @Test func somethingThatIsNotAZoneFileIsRefusedWithAReason() {
        #expect(throws: TZif.FormatError.self) { try TZif.rules(Array("Europe/Berlin\n".utf8), name: "x") }
        var cut = Self.slimTZif(footer: "CET-1CEST,M3.5.0,M10.5.0/3")
        cut.removeLast(40)
        #expect(throws: TZif.FormatError.self) { try TZif.rules(cut, name: "x") }
        #expect(throws: TZif.FormatError.self) {
            try TZif.rules(Self.slimTZif(footer: "CET-1CEST,M13.5.0,X"), name: "x")
        }
    }

    static func seconds(_ iso: String) -> Int64 {
        Int64(ISO8601DateFormatter().date(from: iso)!.timeIntervalSince1970)
    }

    /// A version-2 TZif file with one type (+01:00 "CET") and no changes, then `footer`.
    static func slimTZif(footer: String) -> [UInt8] {
        func header() -> [UInt8] {
            var h = Array("TZif2".utf8) + [UInt8](repeating: 0, count: 15)
            for count: UInt32 in [0, 0, 0, 0, 1, 4] { h += withUnsafeBytes(of: count.bigEndian, Array.init) }
            return h
        }
        let block: [UInt8] = [0, 0, 0x0E, 0x10, 0, 0] + Array("CET\0".utf8)  // utoff 3600, not DST, name 0
        return header() + block + header() + block + Array("\n\(footer)\n".utf8)
    }
}
