#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The identifier a line gives for its run, before the correlator resolves links.
public enum ExtractedKey: Codable, Equatable, Hashable, Sendable {
    case run(String)
    case dbId(String)
    case session(String)
}

/// How a line counts on `runledger_lines_total`.
public enum LineResult: String, Codable, Sendable, CaseIterable {
    case matched, ignored, malformed
}

/// What one line said, ready for the correlator.
public struct Extraction: Sendable {
    public var result: LineResult
    /// Index of the rule in the profile; -1 when none matched.
    public var rule: Int
    public var role: RuleRole
    public var key: ExtractedKey?
    public var effects: [Effect]
    public var timeMs: Int64?
    /// Why a malformed line was rejected (for the one-line error and the logs).
    public var problem: String?

    static func ignored(_ time: Int64?) -> Extraction {
        Extraction(result: .ignored, rule: -1, role: .fact, key: nil, effects: [], timeMs: time, problem: nil)
    }
}

/// Turns a line's bytes into an `Extraction` using a profile: envelope, literal prefilter, template.
/// A line never throws and never stops the reader; what cannot be read is `malformed`.
///
/// An extractor belongs to one reader: it keeps scratch space for captures between lines so that the
/// hot path does not allocate. Give each thread its own.
public final class Extractor {
    public let profile: Profile
    /// A `let`: nothing changes it after init, and the hot path may then call it in place rather than
    /// copy it out of the class with its zone table (not measured).
    public let envelopes: EnvelopeParser
    public let maxLineBytes: Int
    /// The executor's offset for the stretch of wall time the last line fell in (see `ZoneCache`).
    private var zoneCache = ZoneCache()

    /// A class, not a struct: the hot path reads one per candidate rule, and copying a struct of
    /// rule, template and tables retained and released each of their parts every time.
    private final class Compiled {
        let rule: Rule
        let template: Template
        let prefix: [UInt8]
        let capture: [String: Int]

        init(rule: Rule, template: Template, prefix: [UInt8], capture: [String: Int]) {
            self.rule = rule
            self.template = template
            self.prefix = prefix
            self.capture = capture
        }
    }

    private let compiled: [Compiled]
    /// What the prefilter needs of a rule, as plain values: 14 rules share the first byte `S`, and
    /// reading each candidate's class and prefix array retained and released them (6 % of replay).
    private struct Candidate {
        var rule: Int
        var strict: Bool
        /// The rule's prefix is `prefixBytes[prefixStart..<prefixStart + prefixCount]`.
        var prefixStart: Int
        var prefixCount: Int
    }
    /// Candidate rules grouped by the first byte of their prefix, longest prefix first; the group of
    /// byte `b` is `candidates[groupStart[b]..<groupStart[b + 1]]`. Owned here, freed in `deinit`.
    private let candidates: UnsafeMutableBufferPointer<Candidate>
    private let groupStart: UnsafeMutableBufferPointer<Int>
    private let prefixBytes: UnsafeMutableBufferPointer<UInt8>
    private var captures: [Range<Int>] = []

    public struct ProfileError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(profile: Profile, envelopes: EnvelopeParser = EnvelopeParser(), maxLineBytes: Int = 512 * 1024) throws {
        self.profile = profile
        self.envelopes = envelopes
        self.maxLineBytes = maxLineBytes
        var compiled: [Compiled] = []
        var dispatch = [[Int]](repeating: [], count: 256)
        for rule in profile.rules {
            let template: Template
            do { template = try Template(rule.template) } catch {
                throw ProfileError(description: "profile \(profile.name), rule \(rule.name): \(error)")
            }
            let prefix = rule.prefix.map { Array($0.utf8) } ?? template.leadingLiteral
            guard let first = prefix.first else {
                throw ProfileError(
                    description:
                        "profile \(profile.name), rule \(rule.name): template must start with text or set a prefix")
            }
            var capture: [String: Int] = [:]
            for (i, n) in template.holeNames.enumerated() { capture[n] = i }
            for name in Self.captureNames(rule) where capture[name] == nil {
                throw ProfileError(description: "profile \(profile.name), rule \(rule.name): no hole named '\(name)'")
            }
            dispatch[Int(first)].append(compiled.count)
            compiled.append(Compiled(rule: rule, template: template, prefix: prefix, capture: capture))
        }
        // Longest prefix first; among equal prefixes, the profile's order (a rule listed first is tried first).
        for i in 0..<256 {
            dispatch[i].sort { a, b in
                let (la, lb) = (compiled[a].prefix.count, compiled[b].prefix.count)
                return la != lb ? la > lb : a < b
            }
        }
        self.compiled = compiled
        let allPrefixes = compiled.flatMap(\.prefix)
        prefixBytes = .allocate(capacity: max(1, allPrefixes.count))
        _ = prefixBytes.initialize(from: allPrefixes)
        var prefixStarts: [Int] = []
        var at = 0
        for c in compiled {
            prefixStarts.append(at)
            at += c.prefix.count
        }
        candidates = .allocate(capacity: max(1, compiled.count))
        groupStart = .allocate(capacity: 257)
        var n = 0
        for b in 0..<256 {
            groupStart[b] = n
            for index in dispatch[b] {
                let c = compiled[index]
                candidates[n] = Candidate(
                    rule: index, strict: c.rule.strict, prefixStart: prefixStarts[index], prefixCount: c.prefix.count)
                n += 1
            }
        }
        groupStart[256] = n
    }

    deinit {
        candidates.deallocate()
        groupStart.deallocate()
        prefixBytes.deallocate()
    }

    public func extract(_ line: Bytes) -> Extraction {
        guard line.count <= maxLineBytes else {
            return malformed(-1, nil, "line longer than \(maxLineBytes) bytes")
        }
        if line.count > 0, memchr(line.baseAddress!, 0, line.count) != nil {
            return malformed(-1, nil, "NUL byte in line")
        }
        let env = envelopes.parse(line, cache: &zoneCache)
        let message = env.message
        guard message.lowerBound < message.upperBound else { return .ignored(env.timeMs) }
        var prefixMatched = -1
        let first = Int(line[message.lowerBound])
        let start = message.lowerBound
        for k in groupStart[first]..<groupStart[first + 1] {
            let c = candidates[k]
            guard start + c.prefixCount <= line.count, start + c.prefixCount <= message.upperBound,
                memcmp(line.baseAddress! + start, prefixBytes.baseAddress! + c.prefixStart, c.prefixCount) == 0
            else { continue }
            if prefixMatched < 0, c.strict { prefixMatched = c.rule }
            guard !env.truncated, compiled[c.rule].template.match(line, message, into: &captures) else { continue }
            return evaluate(c.rule, line, env)
        }
        if prefixMatched >= 0 {
            let why =
                env.truncated
                ? "line cut off (colour never reset)" : "does not fit rule \(compiled[prefixMatched].rule.name)"
            return malformed(prefixMatched, env.timeMs, why)
        }
        return .ignored(env.timeMs)
    }

    private func malformed(_ rule: Int, _ time: Int64?, _ why: String) -> Extraction {
        Extraction(result: .malformed, rule: rule, role: .fact, key: nil, effects: [], timeMs: time, problem: why)
    }

    private func evaluate(_ index: Int, _ b: Bytes, _ env: Envelope) -> Extraction {
        let c = compiled[index]
        // A scan of a few short names (compared by their bits), not a dictionary lookup hashing each.
        func range(_ name: String) -> Range<Int> { captures[c.template.holeNames.lastIndex(of: name)!] }
        func text(_ name: String) -> String { Self.trimmedText(b, range(name)) }
        func bad(_ why: String) -> Extraction { malformed(index, env.timeMs, "\(c.rule.name): \(why)") }
        /// The capture as a count of one run (`ValueLimits`), or nil; `notACount` says why.
        func count(_ name: String) -> Int64? {
            NumberParser.int(b, range(name)).flatMap { ValueLimits.countProblem($0) == nil ? $0 : nil }
        }
        func notACount(_ name: String, _ what: String) -> Extraction {
            let why = NumberParser.int(b, range(name)).flatMap(ValueLimits.countProblem) ?? "is not a count"
            return bad("\(what) '\(text(name))' \(why)")
        }

        if c.rule.role == .unreadable { return bad("content not in the log") }
        guard Self.isValidUTF8(b, env.message) else { return bad("not UTF-8") }

        var out = Extraction(
            result: .matched, rule: index, role: c.rule.role, key: nil, effects: [], timeMs: env.timeMs, problem: nil)
        // Room for the rule's effects at once: appending to an empty array grew it step by step.
        out.effects.reserveCapacity(c.rule.emits.count)
        switch c.rule.key {
        case .run(let n): out.key = .run(text(n))
        case .dbId(let n): out.key = .dbId(text(n))
        case .session(let n): out.key = .session(text(n))
        case nil: break
        }
        for emit in c.rule.emits {
            switch emit {
            case .started: out.effects.append(.started)
            case .ended(let n, let rank):
                guard let status = RunStatus(executorWord: text(n)) else { return bad("unknown status '\(text(n))'") }
                out.effects.append(.ended(status, rank))
            case .endedAs(let status, let rank): out.effects.append(.ended(status, rank))
            case .dbId(let n): out.effects.append(.dbId(text(n)))
            case .session(let n): out.effects.append(.session(text(n)))
            case .workflow(let n, let rank): out.effects.append(.workflow(text(n), rank))
            case .cost(let n, let rank):
                guard let v = NumberParser.nano(b, range(n)) else { return bad("cost '\(text(n))' is not a number") }
                if let why = ValueLimits.costProblem(v) { return bad("cost '\(text(n))' \(why)") }
                out.effects.append(.cost(nano: v, rank))
            case .turns(let n, let rank):
                guard let v = count(n) else { return notACount(n, "turns") }
                out.effects.append(.turns(v, rank))
            case .tokens(let field, let n, let rank):
                guard let v = count(n) else { return notACount(n, "tokens") }
                out.effects.append(.tokens(field, v, rank))
            case .toolUse(let n, let id):
                let name = text(n)
                guard !name.isEmpty else { return bad("empty tool name") }
                out.effects.append(.toolUse(name: name, id: id.map(text)))
            case .toolName(let n):
                let name = text(n)
                guard !name.isEmpty else { return bad("empty tool name") }
                out.effects.append(.toolNames([name]))
            case .toolNames(let n):
                guard let names = PythonRepr.strings(b, range(n)) else { return bad("tool list is not a Python list") }
                out.effects.append(.toolNames(names))
            case .toolCount(let n):
                guard let v = count(n) else { return notACount(n, "tool count") }
                out.effects.append(.toolCount(v))
            case .taskgroupError: out.effects.append(.taskgroupError)
            case .report(let source, let cost, let tokens, let turns, let tools):
                guard let c = NumberParser.nano(b, range(cost)), let k = NumberParser.int(b, range(tokens)),
                    let t = NumberParser.int(b, range(turns)), let u = NumberParser.int(b, range(tools))
                else { return bad("report values are not numbers") }
                if let why = ValueLimits.costProblem(c) ?? [k, t, u].lazy.compactMap(ValueLimits.countProblem).first {
                    return bad("a report value \(why)")
                }
                out.effects.append(.report(source: source, Report(costNano: c, totalTokens: k, turns: t, tools: u)))
            case .workspace(let p, let br):
                let path = text(p)
                if path == "None" || path.isEmpty { continue }
                guard path.utf8.count <= ValueLimits.pathBytes else {
                    return bad("worktree path is longer than \(ValueLimits.pathBytes) bytes")
                }
                let branch = br.map(text)
                if let branch, branch.utf8.count > ValueLimits.branchBytes || branch.isEmpty {
                    return bad(
                        "branch '\(ValueLimits.clipped(branch, maxBytes: 64))' is empty or over \(ValueLimits.branchBytes) bytes"
                    )
                }
                out.effects.append(.workspace(path: path, branch: branch))
            case .autoCommit(let outcome, let d):
                var detail = d.map(text)
                if outcome == .committed, let sha = detail {
                    // `commit_result.get('commit_sha', 'N/A')`: None when there was nothing to commit.
                    if sha == "None" || sha == "N/A" {
                        detail = nil
                    } else if !Self.isCommitHash(sha) {
                        return bad("commit sha '\(ValueLimits.clipped(sha, maxBytes: 64))' is not a git hash")
                    }
                } else if let e = detail {
                    detail = ValueLimits.clipped(e, maxBytes: ValueLimits.errorBytes)
                }
                out.effects.append(.autoCommit(outcome, detail: detail))
            case .succeeded(let n):
                let said = text(n)
                out.effects.append(.succeeded(said == "True" || said == "true"))
            case .workflowSessionFile(let n):
                let file = text(n)
                guard file.hasSuffix(".log"), let sep = file.lastIndex(of: "_"), sep > file.startIndex else {
                    return bad("log file name '\(file)' is not WORKFLOW_SESSION.log")
                }
                let session = String(file[file.index(after: sep)..<file.index(file.endIndex, offsetBy: -4)])
                out.key = .session(session)
                out.effects.append(.workflow(String(file[..<sep]), .report))
            case .streamJSON(let n):
                guard let value = JSONReader.parse(b, range(n)), let mapped = StreamJSON.map(value, b) else {
                    return bad("not a complete JSON object")
                }
                if let why = mapped.problem { return bad(why) }
                if out.key == nil { out.key = mapped.key }
                out.effects += mapped.effects
            }
        }
        return out
    }

    private static func captureNames(_ rule: Rule) -> [String] {
        var names: [String] = []
        switch rule.key {
        case .run(let n), .dbId(let n), .session(let n): names.append(n)
        case nil: break
        }
        for emit in rule.emits {
            switch emit {
            case .started, .taskgroupError, .endedAs: break
            case .ended(let n, _), .dbId(let n), .session(let n), .workflow(let n, _), .cost(let n, _),
                .turns(let n, _),
                .tokens(_, let n, _), .toolName(let n), .toolNames(let n), .toolCount(let n),
                .workflowSessionFile(let n),
                .streamJSON(let n), .succeeded(let n):
                names.append(n)
            case .workspace(let p, let b):
                names.append(p)
                if let b { names.append(b) }
            case .autoCommit(_, let d):
                if let d { names.append(d) }
            case .toolUse(let n, let id):
                names.append(n)
                if let id { names.append(id) }
            case .report(_, let a, let b, let c, let d): names += [a, b, c, d]
            }
        }
        return names
    }

    /// 7 to 64 hex digits: an abbreviated or full SHA-1 or SHA-256 object name.
    static func isCommitHash(_ s: String) -> Bool {
        (7...64).contains(s.utf8.count) && s.utf8.allSatisfy { ASCII.isDigit($0) || (0x61...0x66).contains($0 | 0x20) }
    }

    /// Strict UTF-8 check of a range (overlong forms and surrogates rejected).
    static func isValidUTF8(_ b: Bytes, _ r: Range<Int>) -> Bool {
        var i = r.lowerBound
        while i < r.upperBound {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let n: Int
            if c & 0xE0 == 0xC0 {
                n = 1; if c < 0xC2 { return false }
            } else if c & 0xF0 == 0xE0 {
                n = 2
            } else if c & 0xF8 == 0xF0 {
                n = 3; if c > 0xF4 { return false }
            } else {
                return false
            }
            for k in 1...n {
                guard i + k < r.upperBound, b[i + k] & 0xC0 == 0x80 else { return false }
            }
            if n == 2 {
                let c1 = b[i + 1]
                if c == 0xE0 && c1 < 0xA0 { return false }
                if c == 0xED && c1 >= 0xA0 { return false }
            } else if n == 3 {
                let c1 = b[i + 1]
                if c == 0xF0 && c1 < 0x90 { return false }
                if c == 0xF4 && c1 >= 0x90 { return false }
            }
            i += n + 1
        }
        return true
    }
}

extension Extractor {
    /// The capture as a `String` without leading and trailing spaces and tabs, trimmed on bytes (trimming
    /// the `String` counted its characters on every capture, 3% of `replay`). A space next to a non-ASCII
    /// byte may belong to a grapheme cluster with it (a combining mark after it, a prepend mark before
    /// it), which trimming by `Character` keeps: such rare captures take the `Character` path.
    static func trimmedText(_ b: Bytes, _ r: Range<Int>) -> String {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi, b[lo] == ASCII.space || b[lo] == ASCII.tab { lo += 1 }
        while hi > lo, b[hi - 1] == ASCII.space || b[hi - 1] == ASCII.tab { hi -= 1 }
        if (lo > r.lowerBound && lo < hi && b[lo] >= 0x80) || (hi < r.upperBound && hi > lo && b[hi - 1] >= 0x80) {
            return b.string(r).trimmingSpaces
        }
        return b.string(lo..<hi)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s.count == count ? self : String(s)
    }
}
