/// The wrapper around the executor's message: a logging format, journald's short output, uvicorn's
/// access log, a JSON object, or nothing at all (the executor's default message-only format).
public enum EnvelopeKind: Sendable {
    case verbose, journal, uvicorn, json, plain
}

/// Where a line's message sits, what time the envelope gives, and whether the message was cut off.
public struct Envelope: Sendable {
    public var kind: EnvelopeKind
    public var timeMs: Int64?
    public var message: Range<Int>
    /// The PrettyFormatter opened a colour and the line ends before the reset: the write was cut.
    public var truncated: Bool
}

/// Finds the message inside a line and strips the executor's decorations (leading emoji, ANSI colour
/// codes, the trailing reset). Works on bytes; tolerates invalid UTF-8 anywhere.
public struct EnvelopeParser: Sendable {
    /// The executor's time zone: `%(asctime)s` has none, so each wall-clock time takes the offset in
    /// force at its instant (a fixed offset is a zone with one).
    public var zone: ZoneRules
    /// journald's short format has no year; this one is assumed until a full date is seen.
    public var assumedYear: Int

    public init(zone: ZoneRules, assumedYear: Int = 2025) {
        self.zone = zone
        self.assumedYear = assumedYear
    }

    public init(utcOffsetSeconds: Int = 0, assumedYear: Int = 2025) {
        self.init(zone: .fixed(utcOffsetSeconds, name: "fixed"), assumedYear: assumedYear)
    }

    /// One line on its own (tests, tools); a reader keeps its `ZoneCache` and uses `parse(_:cache:)`.
    public func parse(_ b: Bytes) -> Envelope {
        var cache = ZoneCache()
        return parse(b, cache: &cache)
    }

    public func parse(_ b: Bytes, cache: inout ZoneCache) -> Envelope {
        var end = b.count
        while end > 0, b[end - 1] == ASCII.lf || b[end - 1] == ASCII.cr { end -= 1 }
        if let e = verbose(b, end, &cache) { return decorate(b, e) }
        if let e = journalISO(b, end, &cache) { return decorate(b, e) }
        if let e = journalShort(b, end, &cache) { return decorate(b, e) }
        if let e = uvicorn(b, end) { return e }
        var start = 0
        while start < end, b[start] == ASCII.space || b[start] == ASCII.tab { start += 1 }
        if start < end, b[start] == ASCII.brace {
            return Envelope(kind: .json, timeMs: nil, message: start..<end, truncated: false)
        }
        return decorate(b, Envelope(kind: .plain, timeMs: nil, message: 0..<end, truncated: false))
    }

    // MARK: Envelopes

    /// `2025-06-19 18:14:06,902 - src.agents.claude_code.sdk_executor - INFO - message`
    private func verbose(_ b: Bytes, _ end: Int, _ cache: inout ZoneCache) -> Envelope? {
        guard end >= 26, let time = dateTime(b, 0, separator: ASCII.space), b[19] == ASCII.comma,
            let ms = digits(b, 20, 3), b.hasLiteral(Self.dashSep, at: 23)
        else { return nil }
        guard let loggerEnd = b.find(Self.dashSep, from: 26, to: end),
            let levelEnd = b.find(Self.dashSep, from: loggerEnd + 3, to: end)
        else { return nil }
        let t = wallClock(time, ms: ms, &cache)
        return Envelope(kind: .verbose, timeMs: t, message: (levelEnd + 3)..<end, truncated: false)
    }

    /// `2025-06-19T18:14:29-0300 host python[48211]: message` (`journalctl -o short-iso`)
    private func journalISO(_ b: Bytes, _ end: Int, _ cache: inout ZoneCache) -> Envelope? {
        guard end >= 21, let time = dateTime(b, 0, separator: 0x54) else { return nil }
        var i = 19, ms = 0
        if i < end, b[i] == ASCII.dot || b[i] == ASCII.comma {
            i += 1
            var scale = 100
            while i < end, ASCII.isDigit(b[i]) { ms += Int(b[i] - ASCII.zero) * scale; scale /= 10; i += 1 }
        }
        var offset: Int? = 0
        if i < end, b[i] == 0x5A {  // Z
            i += 1
        } else if i + 5 <= end, b[i] == ASCII.plus || b[i] == ASCII.minus, let hh = digits(b, i + 1, 2) {
            var j = i + 3
            if j < end, b[j] == ASCII.colon { j += 1 }
            guard let mm = digits(b, j, 2) else { return nil }
            offset = (hh * 3600 + mm * 60) * (b[i] == ASCII.minus ? -1 : 1)
            i = j + 2
        } else {
            offset = nil  // no zone written: the executor's
        }
        guard i < end, b[i] == ASCII.space, let message = afterHostAndIdentifier(b, i + 1, end) else { return nil }
        let t = offset.map { epoch(time, ms: ms, offset: $0) } ?? wallClock(time, ms: ms, &cache)
        return Envelope(kind: .journal, timeMs: t, message: message, truncated: false)
    }

    /// `Jun 19 18:14:29 DESKTOP-7QK2M python[48211]: message` (`journalctl`, short output)
    private func journalShort(_ b: Bytes, _ end: Int, _ cache: inout ZoneCache) -> Envelope? {
        guard end >= 16, let month = Self.month(b), b[3] == ASCII.space else { return nil }
        var i = 4
        if b[i] == ASCII.space { i += 1 }
        var day = 0
        while i < end, ASCII.isDigit(b[i]) { day = day * 10 + Int(b[i] - ASCII.zero); i += 1 }
        guard i < end, b[i] == ASCII.space, i + 9 <= end, let h = digits(b, i + 1, 2), b[i + 3] == ASCII.colon,
            let m = digits(b, i + 4, 2), b[i + 6] == ASCII.colon, let s = digits(b, i + 7, 2)
        else { return nil }
        i += 9
        var ms = 0
        if i < end, b[i] == ASCII.dot {
            i += 1
            var scale = 100
            while i < end, ASCII.isDigit(b[i]) { ms += Int(b[i] - ASCII.zero) * scale; scale /= 10; i += 1 }
        }
        guard i < end, b[i] == ASCII.space, let message = afterHostAndIdentifier(b, i + 1, end) else { return nil }
        let t = wallClock(DateTime(y: assumedYear, mo: month, d: day, h: h, mi: m, s: s), ms: ms, &cache)
        return Envelope(kind: .journal, timeMs: t, message: message, truncated: false)
    }

    /// `INFO:     127.0.0.1:52814 - "GET /api/v1/... HTTP/1.1" 200 OK`; the message starts at the quote.
    private func uvicorn(_ b: Bytes, _ end: Int) -> Envelope? {
        var i = 0
        while i < end, i < 9, b[i] >= 0x41, b[i] <= 0x5A { i += 1 }
        guard i >= 4, i < end, b[i] == ASCII.colon, i + 1 < end, b[i + 1] == ASCII.space else { return nil }
        i += 1
        while i < end, b[i] == ASCII.space { i += 1 }
        var start = i
        if let quote = b.find([ASCII.quote], from: i, to: end) { start = quote }
        return Envelope(kind: .uvicorn, timeMs: nil, message: start..<end, truncated: false)
    }

    // MARK: Decorations

    /// Strips leading emoji, spaces and ANSI codes, and the trailing reset. A colour opened without its
    /// reset at the end means the write was cut off.
    private func decorate(_ b: Bytes, _ e: Envelope) -> Envelope {
        var start = e.message.lowerBound, end = e.message.upperBound
        var opened = false
        while start < end {
            let c = b[start]
            if c == ASCII.space || c == ASCII.tab {
                start += 1
            } else if c == ASCII.esc {
                opened = true
                start = skipCSI(b, start, end)
            } else if c >= 0x80 {
                start += 1  // emoji and variation selectors, one byte at a time
            } else {
                break
            }
        }
        var closed = false
        while end > start {
            let c = b[end - 1]
            if c == ASCII.space || c == ASCII.tab || c == ASCII.cr {
                end -= 1
            } else if c == 0x6D, let csi = trailingCSIStart(b, start, end) {  // ...m
                closed = true
                end = csi
            } else {
                break
            }
        }
        var out = e
        out.message = start..<end
        out.truncated = opened && !closed
        return out
    }

    private func skipCSI(_ b: Bytes, _ start: Int, _ end: Int) -> Int {
        var i = start + 1
        guard i < end, b[i] == ASCII.bracket else { return i }
        i += 1
        while i < end, b[i] < 0x40 || b[i] > 0x7E { i += 1 }
        return min(i + 1, end)
    }

    /// The start of an `ESC [ digits ; m` sequence that ends at `end`, if any.
    private func trailingCSIStart(_ b: Bytes, _ start: Int, _ end: Int) -> Int? {
        var i = end - 2
        while i >= start, ASCII.isDigit(b[i]) || b[i] == 0x3B { i -= 1 }
        guard i - 1 >= start, b[i] == ASCII.bracket, b[i - 1] == ASCII.esc else { return nil }
        return i - 1
    }

    // MARK: Pieces

    private static let dashSep: [UInt8] = Array(" - ".utf8)

    /// Every line that has no verbose or ISO envelope asks this; comparing three bytes as one number
    /// instead of walking an array of arrays (which retained each) took it out of the profile.
    private static func month(_ b: Bytes) -> Int? {
        guard b.count >= 3 else { return nil }
        switch UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2]) {
        case 0x4A616E: return 1  // Jan
        case 0x466562: return 2  // Feb
        case 0x4D6172: return 3  // Mar
        case 0x417072: return 4  // Apr
        case 0x4D6179: return 5  // May
        case 0x4A756E: return 6  // Jun
        case 0x4A756C: return 7  // Jul
        case 0x417567: return 8  // Aug
        case 0x536570: return 9  // Sep
        case 0x4F6374: return 10  // Oct
        case 0x4E6F76: return 11  // Nov
        case 0x446563: return 12  // Dec
        default: return nil
        }
    }

    /// `host ident[pid]: ` — the message begins after the first `: ` past the host name.
    private func afterHostAndIdentifier(_ b: Bytes, _ from: Int, _ end: Int) -> Range<Int>? {
        guard let hostEnd = b.find([ASCII.space], from: from, to: end), hostEnd > from,
            let sep = b.find([ASCII.colon, ASCII.space], from: hostEnd + 1, to: end)
        else { return nil }
        return (sep + 2)..<end
    }

    private func digits(_ b: Bytes, _ at: Int, _ n: Int) -> Int? {
        guard at + n <= b.count else { return nil }
        var v = 0
        for i in at..<(at + n) {
            guard ASCII.isDigit(b[i]) else { return nil }
            v = v * 10 + Int(b[i] - ASCII.zero)
        }
        return v
    }

    private struct DateTime { var y, mo, d, h, mi, s: Int }

    /// `YYYY-MM-DD?HH:MM:SS` at `at`, with `separator` between date and time.
    private func dateTime(_ b: Bytes, _ at: Int, separator: UInt8) -> DateTime? {
        guard at + 19 <= b.count, let y = digits(b, at, 4), b[at + 4] == ASCII.minus, let mo = digits(b, at + 5, 2),
            b[at + 7] == ASCII.minus, let d = digits(b, at + 8, 2), b[at + 10] == separator,
            let h = digits(b, at + 11, 2), b[at + 13] == ASCII.colon, let mi = digits(b, at + 14, 2),
            b[at + 16] == ASCII.colon, let s = digits(b, at + 17, 2)
        else { return nil }
        return DateTime(y: y, mo: mo, d: d, h: h, mi: mi, s: s)
    }

    private func epoch(_ t: DateTime, ms: Int, offset: Int) -> Int64? {
        CivilTime.epochMs(
            year: t.y, month: t.mo, day: t.d, hour: t.h, minute: t.mi, second: t.s, ms: ms, utcOffsetSeconds: offset)
    }

    /// A wall-clock time in the executor's zone, with the offset in force then (`ZoneRules`).
    private func wallClock(_ t: DateTime, ms: Int, _ cache: inout ZoneCache) -> Int64? {
        guard let local = epoch(t, ms: ms, offset: 0) else { return nil }
        // `ms` is 0...999, so the whole seconds are a floor division (dates before 1970 too).
        let seconds = local >= 0 ? local / 1000 : (local - 999) / 1000
        return local - Int64(cache.offset(zone, atLocalSeconds: seconds)) * 1000
    }
}
