/// A message template such as `Cost: ${cost:decimal}, Turns: {turns:int}`: literal text with typed
/// holes. Matching is anchored at the message start, works on bytes, and must consume the whole
/// message, so a cut-off or run-together line does not match.
///
/// Hole kinds:
/// - `int`, `decimal`: digits (a decimal may have a fraction and an exponent);
/// - `id`: letters, digits, `_` and `-` (uuids, `run_abc123`, `toolu_…`);
/// - `name`: an id that may also hold `.` and `:` (workflow and status words);
/// - `bool`: `True`, `False`, `true`, `false`;
/// - `text`, `rest`, `json`, `pylist`: anything, up to the next literal or the end of the message.
///
/// `{{` stands for a literal `{`.
public struct Template: Sendable {
    public enum HoleKind: String, Sendable, Codable {
        case int, decimal, id, name, bool, text, rest, json, pylist

        /// Holes that take anything up to the next literal, rather than a character class.
        var isUnbounded: Bool { self == .text || self == .rest || self == .json || self == .pylist }
    }

    enum Piece: Sendable {
        case literal([UInt8])
        case hole(HoleKind)
    }

    let pieces: [Piece]
    /// Hole names, in order; a match returns one range per hole.
    public let holeNames: [String]

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ pattern: String) throws {
        var pieces: [Piece] = []
        var names: [String] = []
        var literal: [UInt8] = []
        let chars = Array(pattern.utf8)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == ASCII.brace, i + 1 < chars.count, chars[i + 1] == ASCII.brace {
                literal.append(c)
                i += 2
                continue
            }
            guard c == ASCII.brace else {
                literal.append(c)
                i += 1
                continue
            }
            guard let close = chars[i...].firstIndex(of: 0x7D) else {
                throw ParseError(description: "unclosed '{' in template \"\(pattern)\"")
            }
            let spec = String(decoding: chars[(i + 1)..<close], as: UTF8.self)
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let kind = HoleKind(rawValue: parts[1]), !parts[0].isEmpty else {
                throw ParseError(description: "bad hole '{\(spec)}' in template \"\(pattern)\" (want {name:kind})")
            }
            if case .hole(let previous)? = pieces.last, literal.isEmpty, previous.isUnbounded {
                throw ParseError(description: "a text hole needs literal text after it in template \"\(pattern)\"")
            }
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = [] }
            pieces.append(.hole(kind))
            names.append(parts[0])
            i = close + 1
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
        self.holeNames = names
    }

    /// The literal text before the first hole (empty when the template starts with a hole).
    public var leadingLiteral: [UInt8] {
        if case .literal(let l)? = pieces.first { return l }
        return []
    }

    /// Matches `message` (a range of `b`) and writes one range per hole into `captures`.
    public func match(_ b: Bytes, _ message: Range<Int>, into captures: inout [Range<Int>]) -> Bool {
        captures.removeAll(keepingCapacity: true)
        var pos = message.lowerBound
        let end = message.upperBound
        var index = 0
        while index < pieces.count {
            switch pieces[index] {
            case .literal(let lit):
                guard pos + lit.count <= end, b.hasLiteral(lit, at: pos) else { return false }
                pos += lit.count
            case .hole(let kind):
                let next: [UInt8]? = {
                    if index + 1 < pieces.count, case .literal(let l) = pieces[index + 1] { return l }
                    return nil
                }()
                guard let stop = scan(kind, b, pos, end, next) else { return false }
                captures.append(pos..<stop)
                pos = stop
            }
            index += 1
        }
        return pos == end
    }

    private func scan(_ kind: HoleKind, _ b: Bytes, _ start: Int, _ end: Int, _ next: [UInt8]?) -> Int? {
        var i = start
        switch kind {
        case .int:
            if i < end, b[i] == ASCII.minus { i += 1 }
            while i < end, ASCII.isDigit(b[i]) { i += 1 }
            return i > start && ASCII.isDigit(b[i - 1]) ? i : nil
        case .decimal:
            if i < end, b[i] == ASCII.minus { i += 1 }
            while i < end,
                ASCII.isDigit(b[i]) || b[i] == ASCII.dot || b[i] | 0x20 == 0x65
                    || ((b[i] == ASCII.minus || b[i] == ASCII.plus) && i > start && b[i - 1] | 0x20 == 0x65)
            { i += 1 }
            return i > start ? i : nil
        case .id, .name:
            while i < end {
                let c = b[i]
                let ok =
                    ASCII.isAlpha(c) || ASCII.isDigit(c) || c == 0x5F || c == ASCII.minus
                    || (kind == .name && (c == ASCII.dot || c == ASCII.colon))
                guard ok else { break }
                i += 1
            }
            return i > start ? i : nil
        case .bool:
            for word in Self.boolWords where b.hasLiteral(word, at: i) && i + word.count <= end {
                return i + word.count
            }
            return nil
        case .text, .rest, .json, .pylist:
            guard let next else { return end }
            return b.find(next, from: start, to: end)
        }
    }

    private static let boolWords = ["True", "False", "true", "false"].map { Array($0.utf8) }
}
