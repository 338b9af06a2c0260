import RunLedgerCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Splits a byte stream into lines with `memchr`, carrying a partial last line over to the next chunk.
/// A partial line is never handed out, so it is parsed once, when its newline arrives. A line longer
/// than `maxLine` is handed out cut at `maxLine + 1` bytes (the rest skipped), so the extractor
/// rejects it as malformed without the splitter holding it all.
public struct LineSplitter {
    public let maxLine: Int
    private var carry: [UInt8] = []
    private var skippingLongLine = false
    /// Bytes consumed so far through the last complete line (relative to the stream start given by the caller).
    public private(set) var consumed: Int64

    /// `insideLine`: `startOffset` lies inside a line, which happens only where a line over `maxLine`
    /// had its head handed out; the rest of it, up to its newline, is skipped as it would have been.
    public init(startOffset: Int64, maxLine: Int = 512 * 1024, insideLine: Bool = false) {
        self.consumed = startOffset
        self.maxLine = maxLine
        self.skippingLongLine = insideLine
    }

    /// Whether `offset` in `file` lies inside a line: the byte before it is not a newline. Positions
    /// are committed after a newline, or after the cut head of a long line, so the file itself says
    /// which, and a restart resumes the skip without the ledger keeping a flag for it. Only for
    /// files (a stream cannot read back, and a gzip member only forward).
    public static func isInsideLine(_ file: any ByteSource, at offset: Int64) -> Bool {
        guard offset > 0, file is FileSource else { return false }
        var byte: UInt8 = 0x0A
        let n = withUnsafeMutableBytes(of: &byte) { (try? file.read(at: offset - 1, into: $0)) ?? 0 }
        return n == 1 && byte != 0x0A
    }

    /// Bytes held back as an unfinished line.
    public var pending: Int { carry.count }

    /// Hands each complete line in `chunk` (with the carried-over start) to `body`, without its newline.
    /// `body` gets the offset just past the line's newline, for committing positions.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (Bytes, Int64) throws -> Void) rethrows {
        guard let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var start = 0
        let count = chunk.count
        while start < count {
            guard let nl = memchr(base + start, 0x0A, count - start) else { break }
            let end = base.distance(to: nl.assumingMemoryBound(to: UInt8.self))
            let lineBytes = Int64(end - start + 1)
            if skippingLongLine {
                skippingLongLine = false
                consumed += Int64(carry.count) + lineBytes
                carry.removeAll(keepingCapacity: true)
            } else if carry.isEmpty {
                consumed += lineBytes
                try body(Bytes(start: base + start, count: end - start), consumed)
            } else {
                carry.append(contentsOf: UnsafeBufferPointer(start: base + start, count: end - start))
                consumed += lineBytes + Int64(carry.count - (end - start))
                try carry.withUnsafeBufferPointer { try body($0, consumed) }
                carry.removeAll(keepingCapacity: true)
            }
            start = end + 1
        }
        guard start < count else { return }
        if skippingLongLine {
            consumed += Int64(count - start)
            return
        }
        carry.append(contentsOf: UnsafeBufferPointer(start: base + start, count: count - start))
        if carry.count > maxLine {
            // Hand the head out now (the extractor counts it as malformed) and drop the rest of the line.
            let head = Array(carry.prefix(maxLine + 1))
            consumed += Int64(carry.count)
            carry.removeAll(keepingCapacity: true)
            skippingLongLine = true
            try head.withUnsafeBufferPointer { try body($0, consumed) }
        }
    }
}
