/// A time zone as data: the offsets from UTC it has had, and from which instant each held. Built from
/// the tz database outside Core (`TZif.rules`, `PosixTZ.rules`) or as one fixed offset; Core only looks
/// things up, so converting a log's wall-clock time stays pure and cheap.
///
/// The executor's `%(asctime)s` carries no zone, so a wall-clock time is turned into an instant with
/// the offset in force at that instant. Two kinds of wall time have no single answer, and both take
/// the offset in force *before* the change (Python's `fold=0`):
/// - the hour repeated when clocks go back (Berlin 2025-10-26 02:30 happens at +02:00 and again at
///   +01:00): the first occurrence, 00:30Z;
/// - the hour skipped when clocks go forward (Berlin 2025-03-30 02:30 never shows): read as if the
///   clocks had not moved yet, +01:00, 01:30Z (which the clocks then showed as 03:30).
public struct ZoneRules: Sendable, Equatable {
    /// The zone's name as given (`Europe/Berlin`, `+02:00`), for messages.
    public let name: String
    /// The instants (UTC seconds) at which the offset changes, ascending; `offsets[i + 1]` holds from
    /// `changesUTC[i]` on, and `offsets[0]` before the first change.
    let changesUTC: [Int64]
    let offsets: [Int32]
    /// The wall time (local seconds, counted as if UTC) from which `offsets[i + 1]` is the reading of a
    /// wall-clock time: the later of the two wall readings at change `i`, so that the repeated or
    /// skipped hour before it keeps the old offset.
    let changesLocal: [Int64]

    /// One offset for all time (`--utc-offset +02:00`, `Z`).
    public static func fixed(_ offsetSeconds: Int, name: String) -> ZoneRules {
        ZoneRules(name: name, initialOffset: offsetSeconds, transitions: [])
    }

    /// `transitions` need not be sorted; a change to the offset already in force is dropped.
    public init(name: String, initialOffset: Int, transitions: [(utcSeconds: Int64, offsetSeconds: Int)]) {
        self.name = name
        var changes: [Int64] = []
        var offsets: [Int32] = [Int32(clamping: initialOffset)]
        var local: [Int64] = []
        for t in transitions.sorted(by: { $0.utcSeconds < $1.utcSeconds }) {
            // Two changes at one instant (a rule's end and the next year's start): the later one holds.
            if t.utcSeconds == changes.last {
                changes.removeLast()
                offsets.removeLast()
                local.removeLast()
            }
            let before = offsets[offsets.count - 1]
            let after = Int32(clamping: t.offsetSeconds)
            guard after != before else { continue }
            changes.append(t.utcSeconds)
            offsets.append(after)
            // Two changes closer together than their offsets differ would put the wall readings out of
            // order; keeping them ascending keeps the lookup a binary search (no real zone does this).
            local.append(max(t.utcSeconds + Int64(max(before, after)), local.last ?? .min))
        }
        self.changesUTC = changes
        self.offsets = offsets
        self.changesLocal = local
    }

    /// The number of offset changes the table holds (for messages and tests).
    public var changeCount: Int { changesUTC.count }

    /// The offset from UTC in force at an instant.
    public func offset(atUTCSeconds t: Int64) -> Int {
        Int(offsets[Self.countAtOrBelow(t, changesUTC)])
    }

    /// The offset that turns the wall-clock time `local` (seconds, counted as if it were UTC) into an
    /// instant; see the type's note for the repeated and the skipped hour.
    public func offset(atLocalSeconds local: Int64) -> Int { span(atLocalSeconds: local).offset }

    /// The offset for `local` and the stretch of wall time around it that has the same one.
    func span(atLocalSeconds local: Int64) -> (offset: Int, from: Int64, until: Int64) {
        let k = Self.countAtOrBelow(local, changesLocal)
        return (
            Int(offsets[k]), k > 0 ? changesLocal[k - 1] : .min, k < changesLocal.count ? changesLocal[k] : .max
        )
    }

    /// How many of the ascending `values` are ≤ `x`.
    private static func countAtOrBelow(_ x: Int64, _ values: [Int64]) -> Int {
        var lo = 0, hi = values.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if values[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// The last offset looked up, with the stretch of wall time it holds for (months, between two DST
/// changes; all time for a fixed offset). It belongs to one reader's extractor: consecutive lines sit
/// in the same hour, so a line costs two comparisons, and the table is searched once per change.
public struct ZoneCache: Sendable {
    private var from: Int64 = 1
    private var until: Int64 = 0
    private var offset = 0

    public init() {}

    @inline(__always)
    public mutating func offset(_ zone: ZoneRules, atLocalSeconds local: Int64) -> Int {
        if local >= from, local < until { return offset }
        let s = zone.span(atLocalSeconds: local)
        (offset, from, until) = (s.offset, s.from, s.until)
        return offset
    }
}
