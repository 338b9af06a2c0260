/// Reads a tz database file (TZif, RFC 8536: `/usr/share/zoneinfo/Europe/Berlin`) into `ZoneRules`, the
/// same rules `date` and the C library use. The bytes are read outside Core; this only decodes them.
public enum TZif {
    public struct FormatError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The last year the footer's rule is expanded to: later instants keep the offset in force then.
    public static let lastYear = 2100

    /// The zone's changes: the file's list (64-bit times when it has them), then its footer's rule
    /// through `lastYear`.
    public static func rules(_ bytes: [UInt8], name: String) throws -> ZoneRules {
        func fail(_ why: String) -> FormatError { FormatError(description: "not a TZif zone file (\(why))") }
        guard bytes.count >= 44, bytes[0] == 0x54, bytes[1] == 0x5A, bytes[2] == 0x69, bytes[3] == 0x66 else {
            throw fail("no TZif header")
        }
        let version = bytes[4]
        var header = try Header(bytes, at: 0)
        var at = 44
        var timeSize = 4
        if version >= UInt8(ascii: "2") {
            // Skip the 32-bit block; the second header describes the 64-bit one that follows it.
            at += header.blockSize(timeSize: 4)
            guard bytes.count >= at + 44 else { throw fail("cut short before its 64-bit part") }
            header = try Header(bytes, at: at)
            at += 44
            timeSize = 8
        }
        guard header.leapCount == 0 else { throw fail("it counts leap seconds (a right/ zone)") }
        guard header.typeCount > 0, bytes.count >= at + header.blockSize(timeSize: timeSize) else {
            throw fail("cut short")
        }
        var times: [Int64] = []
        for k in 0..<header.timeCount {
            times.append(Self.signed(bytes, at + k * timeSize, timeSize))
        }
        let indexStart = at + header.timeCount * timeSize
        let typeStart = indexStart + header.timeCount
        var typeOffsets: [Int] = []
        for k in 0..<header.typeCount {
            typeOffsets.append(Int(Self.signed(bytes, typeStart + k * 6, 4)))
        }
        var transitions: [(utcSeconds: Int64, offsetSeconds: Int)] = []
        for k in 0..<header.timeCount {
            let type = Int(bytes[indexStart + k])
            guard type < header.typeCount else { throw fail("change \(k) names type \(type) of \(header.typeCount)") }
            transitions.append((times[k], typeOffsets[type]))
        }
        // RFC 8536 §3.2: before the first change, the first type holds.
        var initial = typeOffsets[0]
        if timeSize == 8 {
            let footerStart = at + header.blockSize(timeSize: 8)
            if footerStart < bytes.count, bytes[footerStart] == 0x0A,
                let close = bytes[(footerStart + 1)...].firstIndex(of: 0x0A)
            {
                let text = String(decoding: bytes[(footerStart + 1)..<close], as: UTF8.self)
                let footer: PosixTZ?
                do { footer = try PosixTZ.parse(text) } catch { throw fail("\(error)") }
                if let footer {
                    if transitions.isEmpty { initial = footer.standardOffset }
                    transitions += Self.after(times.last, footer)
                }
            }
        }
        return ZoneRules(name: name, initialOffset: initial, transitions: transitions)
    }

    /// The changes a rule makes after the file's last listed one (none listed: from 1970), and, for a
    /// rule with no daylight time, the standard offset from then on.
    static func after(_ last: Int64?, _ footer: PosixTZ) -> [(utcSeconds: Int64, offsetSeconds: Int)] {
        let from = last ?? 0
        guard footer.daylight != nil else {
            return last.map { [($0 + 1, footer.standardOffset)] } ?? []
        }
        // Only 1970 through `lastYear` are expanded (a file's first change may be at -2^59, the "big bang").
        guard from < Int64(CivilTime.daysFromCivil(year: lastYear + 1, month: 1, day: 1)) * 86_400 else { return [] }
        let firstYear = from < 0 ? 1970 : Self.year(of: from)
        return footer.transitions(years: firstYear...lastYear).filter { $0.utcSeconds > from }
    }

    private static func year(of utcSeconds: Int64) -> Int {
        let days = Int(utcSeconds / 86_400)  // 1970 or later, before `lastYear` ends
        var year = 1970 + days / 366
        while CivilTime.daysFromCivil(year: year + 1, month: 1, day: 1) <= days { year += 1 }
        return year
    }

    private struct Header {
        var utIndicators, standardIndicators, leapCount, timeCount, typeCount, charCount: Int

        init(_ b: [UInt8], at: Int) throws {
            guard b.count >= at + 44, b[at] == 0x54, b[at + 1] == 0x5A, b[at + 2] == 0x69, b[at + 3] == 0x66 else {
                throw FormatError(description: "not a TZif zone file (bad header at byte \(at))")
            }
            func count(_ k: Int) -> Int { Int(UInt32(truncatingIfNeeded: TZif.signed(b, at + 20 + 4 * k, 4))) }
            (utIndicators, standardIndicators, leapCount) = (count(0), count(1), count(2))
            (timeCount, typeCount, charCount) = (count(3), count(4), count(5))
            // Counts this large are not a zone; refusing them keeps the arithmetic below in range.
            guard
                [utIndicators, standardIndicators, leapCount, timeCount, typeCount, charCount].allSatisfy({
                    $0 < 1 << 20
                }), typeCount <= 256
            else { throw FormatError(description: "not a TZif zone file (counts out of range)") }
        }

        func blockSize(timeSize: Int) -> Int {
            timeCount * (timeSize + 1) + typeCount * 6 + charCount + leapCount * (timeSize + 4) + standardIndicators
                + utIndicators
        }
    }

    /// A big-endian two's-complement number of `size` bytes (4 or 8).
    private static func signed(_ b: [UInt8], _ at: Int, _ size: Int) -> Int64 {
        var v: UInt64 = 0
        for k in 0..<size { v = v << 8 | UInt64(b[at + k]) }
        if size == 4 { return Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: v))) }
        return Int64(bitPattern: v)
    }
}
