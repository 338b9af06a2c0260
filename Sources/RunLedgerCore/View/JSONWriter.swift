/// Writes JSON text without Foundation, so numbers print exactly (costs as decimals, not floats).
public struct JSONWriter {
    /// UTF-8 bytes written so far: appending bytes is much cheaper than growing a `String` piece by piece
    /// (the ledger writes every touched run's record this way at each commit).
    private var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]
    private let pretty: Bool

    public init(pretty: Bool = false) {
        self.pretty = pretty
        bytes.reserveCapacity(1024)
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func separator() {
        if pendingKey {
            pendingKey = false
            needsComma[needsComma.count - 1] = true
            return
        }
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
        if pretty, needsComma.count > 1 { newline(needsComma.count - 1) }
    }

    private mutating func newline(_ depth: Int) {
        bytes.append(UInt8(ascii: "\n"))
        for _ in 0..<depth { bytes.append(0x20); bytes.append(0x20) }
    }

    public mutating func beginObject() { separator(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { separator(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func close(_ c: UInt8) {
        let hadItems = needsComma.removeLast()
        if pretty, hadItems { newline(needsComma.count - 1) }
        bytes.append(c)
    }

    /// Starts a member of the current object; the next value written is its value.
    public mutating func key(_ k: String) {
        separator()
        appendQuoted(k)
        bytes.append(UInt8(ascii: ":"))
        if pretty { bytes.append(0x20) }
        pendingKey = true
    }

    private var pendingKey = false

    /// A member name written as it is: for literals that need no escape (the ledger's own field names),
    /// which `key(_:)` would scan byte by byte for every record written.
    public mutating func key(literal k: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        k.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        if pretty { bytes.append(0x20) }
        pendingKey = true
    }

    private mutating func value(_ raw: String) {
        separator()
        bytes.append(contentsOf: raw.utf8)
    }

    public mutating func string(_ s: String?) {
        guard let s else { return null() }
        separator()
        appendQuoted(s)
    }

    public mutating func int(_ n: Int64?) {
        guard let n else { return null() }
        separator()
        appendDigits(n)
    }

    /// An object of string lists, its keys sorted: a run's or an alert's mismatched fields by source.
    public mutating func stringLists(_ lists: [String: [String]]) {
        beginObject()
        for (key, strings) in lists.sorted(by: { $0.key < $1.key }) {
            self.key(key)
            self.strings(strings)
        }
        endObject()
    }

    /// An array of strings.
    public mutating func strings(_ list: [String]) {
        beginArray()
        for s in list { string(s) }
        endArray()
    }

    public mutating func bool(_ b: Bool) { value(b ? "true" : "false") }
    /// A decimal with `scale` digits after the point, printed exactly (`1.5723`, `0`).
    public mutating func decimal(_ n: Int64, scale: Int) { value(Self.decimalText(n, scale: scale)) }
    public mutating func raw(_ json: String) { value(json) }
    public mutating func null() { value("null") }

    private mutating func appendDigits(_ n: Int64) {
        if n < 0 { bytes.append(UInt8(ascii: "-")) }
        var m = n.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 20 digits, filled from the end
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                count += 1
                d[24 - count] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
            } while m > 0
            bytes.append(contentsOf: d[(24 - count)...])
        }
    }

    private mutating func appendQuoted(_ s: String) {
        var s = s
        let clean = s.withUTF8 { u in
            // Nearly every string (ids, tool names) needs no escape: copy it whole.
            guard !u.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return false
            }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: u)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if !clean { bytes.append(contentsOf: Self.quoted(s).utf8) }
    }

    public static func decimalText(_ n: Int64, scale: Int) -> String {
        var divisor: Int64 = 1
        for _ in 0..<scale { divisor *= 10 }
        let sign = n < 0 ? "-" : ""
        let m = n.magnitude
        let whole = m / UInt64(divisor), frac = m % UInt64(divisor)
        guard frac != 0 else { return sign + String(whole) }
        var digits = String(frac)
        digits = String(repeating: "0", count: scale - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(sign)\(whole).\(digits)"
    }

    public static func quoted(_ s: String) -> String {
        // Nearly every string (ids, tool names) needs no escape: copy it whole (the ledger writes
        // thousands per batch; going scalar by scalar was most of the cost).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + s + "\""
        }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
