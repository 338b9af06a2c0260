/// Writes JSON text without Foundation, so numbers print exactly (costs as decimals, not floats).
public struct JSONWriter {
    public private(set) var text = ""
    private var needsComma: [Bool] = [false]
    private let pretty: Bool

    public init(pretty: Bool = false) { self.pretty = pretty }

    private mutating func separator() {
        if pendingKey {
            pendingKey = false
            needsComma[needsComma.count - 1] = true
            return
        }
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
        if pretty, needsComma.count > 1 { text += "\n" + String(repeating: "  ", count: needsComma.count - 1) }
    }

    public mutating func beginObject() { separator(); text += "{"; needsComma.append(false) }
    public mutating func endObject() { close("}") }
    public mutating func beginArray() { separator(); text += "["; needsComma.append(false) }
    public mutating func endArray() { close("]") }

    private mutating func close(_ c: String) {
        let hadItems = needsComma.removeLast()
        if pretty, hadItems { text += "\n" + String(repeating: "  ", count: needsComma.count - 1) }
        text += c
    }

    /// Starts a member of the current object; the next value written is its value.
    public mutating func key(_ k: String) {
        separator()
        text += Self.quoted(k) + (pretty ? ": " : ":")
        pendingKey = true
    }

    private var pendingKey = false

    private mutating func value(_ raw: String) {
        separator()
        text += raw
    }

    public mutating func string(_ s: String?) { value(s.map(Self.quoted) ?? "null") }
    public mutating func int(_ n: Int64?) { value(n.map { String($0) } ?? "null") }
    public mutating func bool(_ b: Bool) { value(b ? "true" : "false") }
    /// A decimal with `scale` digits after the point, printed exactly (`1.5723`, `0`).
    public mutating func decimal(_ n: Int64, scale: Int) { value(Self.decimalText(n, scale: scale)) }
    public mutating func raw(_ json: String) { value(json) }
    public mutating func null() { value("null") }

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
