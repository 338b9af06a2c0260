/// A POSIX TZ rule (`CET-1CEST,M3.5.0,M10.5.0/3`): a TZif file's footer, which gives the offsets after
/// the file's last listed change (a "slim" file lists almost none), or a `TZ` variable that names no file.
/// Offsets here are east of UTC, the opposite of the string's sign.
public struct PosixTZ: Sendable, Equatable {
    public var standardOffset: Int
    public var daylight: Daylight?

    public struct Daylight: Sendable, Equatable {
        public var offset: Int
        public var start: DateRule
        public var startTime: Int
        public var end: DateRule
        public var endTime: Int
    }

    public enum DateRule: Sendable, Equatable {
        /// `Jn`: day 1...365 of the year, February 29 never counted.
        case julian(Int)
        /// `n`: day 0...365 of the year, February 29 counted.
        case zeroBased(Int)
        /// `Mm.w.d`: weekday `d` (0 = Sunday) of week `w` (5 = the last) of month `m`.
        case month(Int, week: Int, weekday: Int)
    }

    public struct SyntaxError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses the string; nil for the empty footer (no rule after the last listed change).
    public static func parse(_ text: String) throws -> PosixTZ? {
        guard !text.isEmpty else { return nil }
        var p = Scanner(bytes: Array(text.utf8))
        func fail(_ why: String) -> SyntaxError { SyntaxError(description: "TZ rule \"\(text)\": \(why)") }
        guard p.name() else { throw fail("no zone abbreviation") }
        guard let std = p.time(signed: true) else { throw fail("no UTC offset after the abbreviation") }
        var rule = PosixTZ(standardOffset: -std, daylight: nil)
        guard !p.atEnd else { return rule }
        guard p.name() else { throw fail("no daylight-saving abbreviation") }
        var dst = -std + 3600
        if !p.atEnd, p.peek != UInt8(ascii: ",") {
            guard let d = p.time(signed: true) else { throw fail("bad daylight-saving offset") }
            dst = -d
        }
        // No dates given: POSIX leaves them to the implementation; glibc takes the US rule.
        var dates: (DateRule, Int, DateRule, Int) = (
            .month(3, week: 2, weekday: 0), 7200, .month(11, week: 1, weekday: 0), 7200
        )
        if !p.atEnd {
            guard p.take(UInt8(ascii: ",")), let s = p.date(), let st = p.ruleTime(), p.take(UInt8(ascii: ",")),
                let e = p.date(), let et = p.ruleTime(), p.atEnd
            else { throw fail("bad daylight-saving dates") }
            dates = (s, st, e, et)
        }
        rule.daylight = Daylight(offset: dst, start: dates.0, startTime: dates.1, end: dates.2, endTime: dates.3)
        return rule
    }

    /// The changes this rule makes in `years` (UTC seconds and the offset from then on), in order.
    public func transitions(years: ClosedRange<Int>) -> [(utcSeconds: Int64, offsetSeconds: Int)] {
        guard let d = daylight else { return [] }
        var out: [(utcSeconds: Int64, offsetSeconds: Int)] = []
        for year in years {
            // The start is read on standard time, the end on daylight time (the clocks then showing).
            let start = Int64(Self.day(d.start, year)) * 86_400 + Int64(d.startTime - standardOffset)
            let end = Int64(Self.day(d.end, year)) * 86_400 + Int64(d.endTime - d.offset)
            out.append((start, d.offset))
            out.append((end, standardOffset))
        }
        return out.sorted { $0.utcSeconds < $1.utcSeconds }
    }

    /// Days since 1970-01-01 of the rule's date in `year`.
    static func day(_ rule: DateRule, _ year: Int) -> Int {
        let jan1 = CivilTime.daysFromCivil(year: year, month: 1, day: 1)
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        switch rule {
        case .julian(let n): return jan1 + n - 1 + (leap && n >= 60 ? 1 : 0)
        case .zeroBased(let n): return jan1 + n
        case .month(let m, let w, let wd):
            let first = CivilTime.daysFromCivil(year: year, month: m, day: 1)
            let firstWeekday = ((first + 4) % 7 + 7) % 7  // 1970-01-01 was a Thursday
            var day = first + (wd - firstWeekday + 7) % 7 + 7 * (w - 1)
            let next =
                m == 12
                ? CivilTime.daysFromCivil(year: year + 1, month: 1, day: 1)
                : CivilTime.daysFromCivil(year: year, month: m + 1, day: 1)
            while day >= next { day -= 7 }
            return day
        }
    }

    /// Reads the string's parts, byte by byte.
    private struct Scanner {
        let bytes: [UInt8]
        var i = 0

        var atEnd: Bool { i >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[i] }

        mutating func take(_ c: UInt8) -> Bool {
            guard peek == c else { return false }
            i += 1
            return true
        }

        /// `CET` (three letters or more) or `<-03>` (quoted, any of letters, digits, + and -).
        mutating func name() -> Bool {
            if take(UInt8(ascii: "<")) {
                let start = i
                while let c = peek, c != UInt8(ascii: ">") { i += 1 }
                guard i - start >= 3, take(UInt8(ascii: ">")) else { return false }
                return true
            }
            let start = i
            while let c = peek, (c | 0x20) >= UInt8(ascii: "a"), (c | 0x20) <= UInt8(ascii: "z") { i += 1 }
            return i - start >= 3
        }

        mutating func number(_ maxDigits: Int) -> Int? {
            var n = 0, count = 0
            while let c = peek, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9"), count < maxDigits {
                n = n * 10 + Int(c - UInt8(ascii: "0"))
                i += 1
                count += 1
            }
            return count > 0 ? n : nil
        }

        /// `[+-]hh[:mm[:ss]]` in seconds (hours up to 167, as RFC 8536 allows for rule times).
        mutating func time(signed: Bool) -> Int? {
            var sign = 1
            if signed, take(UInt8(ascii: "-")) { sign = -1 } else if signed { _ = take(UInt8(ascii: "+")) }
            guard let h = number(3), h <= 167 else { return nil }
            var seconds = h * 3600
            if take(UInt8(ascii: ":")) {
                guard let m = number(2), m < 60 else { return nil }
                seconds += m * 60
                if take(UInt8(ascii: ":")) {
                    guard let s = number(2), s < 60 else { return nil }
                    seconds += s
                }
            }
            return sign * seconds
        }

        mutating func date() -> DateRule? {
            if take(UInt8(ascii: "J")) {
                guard let n = number(3), (1...365).contains(n) else { return nil }
                return .julian(n)
            }
            if take(UInt8(ascii: "M")) {
                guard let m = number(2), (1...12).contains(m), take(UInt8(ascii: ".")), let w = number(1),
                    (1...5).contains(w), take(UInt8(ascii: ".")), let d = number(1), d <= 6
                else { return nil }
                return .month(m, week: w, weekday: d)
            }
            guard let n = number(3), n <= 365 else { return nil }
            return .zeroBased(n)
        }

        /// `/time` after a date (negative allowed, RFC 8536), 02:00 when absent.
        mutating func ruleTime() -> Int? {
            guard take(UInt8(ascii: "/")) else { return 7200 }
            return time(signed: true)
        }
    }
}
