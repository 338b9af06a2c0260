#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A line or part of one, as bytes. The hot path never turns whole lines into `String`.
public typealias Bytes = UnsafeBufferPointer<UInt8>

enum ASCII {
    static let space: UInt8 = 0x20, tab: UInt8 = 0x09, cr: UInt8 = 0x0D, lf: UInt8 = 0x0A
    static let esc: UInt8 = 0x1B, bracket: UInt8 = 0x5B, closeBracket: UInt8 = 0x5D
    static let zero: UInt8 = 0x30, nine: UInt8 = 0x39, dot: UInt8 = 0x2E, minus: UInt8 = 0x2D
    static let plus: UInt8 = 0x2B, colon: UInt8 = 0x3A, comma: UInt8 = 0x2C, quote: UInt8 = 0x22
    static let brace: UInt8 = 0x7B

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= zero && b <= nine }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// The bytes in `range` as a `String` (invalid UTF-8 repaired, never rejected).
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self[range]), as: UTF8.self)
    }

    /// Whether `literal` stands at `offset`.
    @inline(__always) func hasLiteral(_ literal: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset + literal.count <= count else { return false }
        if literal.isEmpty { return true }
        return literal.withUnsafeBytes { lit in
            memcmp(baseAddress! + offset, lit.baseAddress!, literal.count) == 0
        }
    }

    /// The first index at or after `from` (and before `to`) where `literal` begins.
    func find(_ literal: [UInt8], from: Int, to: Int? = nil) -> Int? {
        let end = to ?? count
        guard !literal.isEmpty, from <= end, end - from >= literal.count, let base = baseAddress else {
            return literal.isEmpty ? from : nil
        }
        // memchr for the first byte, memcmp for the rest (glibc's memmem is not exported to Swift).
        let first = literal[0]
        var at = from
        let last = end - literal.count
        while at <= last {
            guard let hit = memchr(base + at, Int32(first), last - at + 1) else { return nil }
            let i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if hasLiteral(literal, at: i) { return i }
            at = i + 1
        }
        return nil
    }
}

/// Hand-written number parsing on bytes: the executor prints costs with `:.4f`, JSON may use exponents.
enum NumberParser {
    /// A decimal integer (optional leading `-`), the whole range or nothing.
    static func int(_ b: Bytes, _ r: Range<Int>) -> Int64? {
        var i = r.lowerBound
        guard i < r.upperBound else { return nil }
        var negative = false
        if b[i] == ASCII.minus { negative = true; i += 1 }
        guard i < r.upperBound, r.upperBound - i <= 18 else { return nil }
        var v: Int64 = 0
        while i < r.upperBound {
            let c = b[i]
            guard ASCII.isDigit(c) else { return nil }
            v = v * 10 + Int64(c - ASCII.zero)
            i += 1
        }
        return negative ? -v : v
    }

    /// A decimal number (`1.5723`, `0.1087`, `1.2e-05`) as an integer count of 10^-9 units,
    /// rounded half away from zero. Exact for every value the executor prints.
    static func nano(_ b: Bytes, _ r: Range<Int>) -> Int64? {
        var i = r.lowerBound
        guard i < r.upperBound else { return nil }
        var negative = false
        if b[i] == ASCII.minus { negative = true; i += 1 }
        var mantissa: Int64 = 0, digits = 0, scale = 0, sawDigit = false
        while i < r.upperBound, ASCII.isDigit(b[i]) {
            if digits < 18 { mantissa = mantissa * 10 + Int64(b[i] - ASCII.zero); digits += 1 } else { scale -= 1 }
            sawDigit = true
            i += 1
        }
        if i < r.upperBound, b[i] == ASCII.dot {
            i += 1
            while i < r.upperBound, ASCII.isDigit(b[i]) {
                if digits < 18 { mantissa = mantissa * 10 + Int64(b[i] - ASCII.zero); digits += 1; scale += 1 }
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return nil }
        var exponent = 0
        if i < r.upperBound, b[i] | 0x20 == 0x65 {  // e / E
            i += 1
            var expNegative = false
            if i < r.upperBound, b[i] == ASCII.minus || b[i] == ASCII.plus { expNegative = b[i] == ASCII.minus; i += 1 }
            guard i < r.upperBound else { return nil }
            while i < r.upperBound, ASCII.isDigit(b[i]) {
                exponent = min(exponent * 10 + Int(b[i] - ASCII.zero), 400)
                i += 1
            }
            if expNegative { exponent = -exponent }
        }
        guard i == r.upperBound else { return nil }
        // value = mantissa * 10^(exponent - scale); we want value * 10^9.
        let shift = exponent - scale + 9
        var result = mantissa
        if shift >= 0 {
            for _ in 0..<shift {
                let (m, overflow) = result.multipliedReportingOverflow(by: 10)
                if overflow { return nil }
                result = m
            }
        } else {
            let drop = -shift
            if drop > 18 {
                result = 0
            } else {
                var divisor: Int64 = 1
                for _ in 0..<drop { divisor *= 10 }
                result = (result + divisor / 2) / divisor
            }
        }
        return negative ? -result : result
    }
}
