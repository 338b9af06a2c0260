import Foundation
import Testing

@testable import RunLedgerCore
@testable import RunLedgerServer

/// A seeded mutation fuzzer: real executor lines (the shared sample, and the crafted lines issue 13 found
/// fatal), mutated and fed through extraction, correlation, the fold into run records, the metric tally
/// and the `/metrics` exposition. Nothing may trap, every counter stays at or above 0, and the tally must
/// equal the metrics recomputed from the final records (nothing counted twice or lost).
///
/// `make test` runs `RUNLEDGER_FUZZ_ITERATIONS` mutated lines (default 30,000, about a second);
/// `make fuzz` runs millions with a seed from the clock. A failure prints its seed and iteration.
@Suite(.tags(.slow)) struct FuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let iterations = Int(environment["RUNLEDGER_FUZZ_ITERATIONS"] ?? "") ?? 30_000
    static let seed = UInt64(environment["RUNLEDGER_FUZZ_SEED"] ?? "") ?? 1

    /// Lines that took the sidecar down before issue 13 (a negative JSON count, overflowing sums).
    static let crafted = [
        #"Claude output: {"type":"result","num_turns":3,"total_cost_usd":0.5,"session_id":"s","usage":{"input_tokens":-5}}"#,
        "📝 \u{1B}[92mSDK Executor: Captured final metrics during streaming - Cost: $0.1000, Turns: 999999999999999999\u{1B}[0m",
        "📝 \u{1B}[92mSDK Executor: Captured final metrics during streaming - Cost: $9223372036.85, Turns: 4\u{1B}[0m",
        #"{"timestamp": "2025-06-19T21:14:06+00:00", "run_id": "r-1", "event_type": "execution_complete", "data": {"success": true, "total_cost_usd": -1, "total_turns": 4}}"#,
    ]

    @Test func mutatedRealLinesNeverTrapAndTheMetricsStayTheLedgersSums() throws {
        let sample = try String(contentsOfFile: Fixture.sampleLog, encoding: .utf8)
        let seeds = (sample.split(separator: "\n").map(String.init) + Self.crafted).map { Array($0.utf8) }
        var rng = SplitMix(seed: Self.seed)
        let extractor = try Extractor(profile: .automagik, envelopes: EnvelopeParser(utcOffsetSeconds: 0))
        let correlator = Correlator(profile: .automagik)
        var runs: [String: RunRecord] = [:]
        var unattributed: [RunRecord] = []
        var tally = SeriesTally()
        var labeler = ToolLabeler(cap: .max)
        var results: [LineResult: Int] = [:]

        for i in 0..<Self.iterations {
            let line = Self.mutate(seeds[Int(rng.next() % UInt64(seeds.count))], &rng)
            let x = line.withUnsafeBufferPointer { extractor.extract($0) }
            results[x.result, default: 0] += 1
            var out: [Attributed] = []
            correlator.process(x, into: &out)
            for d in out {
                switch d {
                case .run(let id, let effects, let time, let how):
                    if runs[id] == nil, !effects.contains(where: \.createsRun) { continue }
                    let before = runs[id]
                    var r = before ?? RunRecord(runId: id)
                    for e in effects { r.apply(e, at: time, attribution: how) }
                    if let before { tally.add(before, sign: -1, tools: &labeler) }
                    tally.add(r, sign: 1, tools: &labeler)
                    runs[id] = r
                case .markAmbiguous(let id):
                    runs[id]?.attribution = .ambiguous
                case .unattributed(let g):
                    var r = RunRecord(runId: "unattributed-\(i)")
                    for f in g.facts { for e in f.effects { r.apply(e, at: f.timeMs, attribution: .ambiguous) } }
                    tally.addUnattributed(r, tools: &labeler)
                    unattributed.append(r)
                }
            }
        }
        #expect(
            (results[.matched] ?? 0) > Self.iterations / 20,
            "seed \(Self.seed): the mutations left too few lines readable")
        #expect((results[.malformed] ?? 0) > 0, "seed \(Self.seed)")

        // Every series is a sum over records: recomputed from the final records it is the same.
        var recomputed: SeriesValues = [:]
        var fresh = ToolLabeler(cap: .max)
        for r in runs.values { recomputed.add(Contribution.of(r, tools: &fresh)) }
        for r in unattributed { recomputed.add(Contribution.ofUnattributed(r, tools: &fresh)) }
        let tallied = tally.values
        let differing = Set(tallied.keys).union(recomputed.keys).filter { (tallied[$0] ?? 0) != (recomputed[$0] ?? 0) }
        #expect(differing.isEmpty, "seed \(Self.seed): \(differing.sorted().prefix(5).map(\.encoded))")
        let negative = tallied.filter { $0.value < 0 }
        #expect(negative.isEmpty, "seed \(Self.seed): \(negative.keys.sorted().prefix(5).map(\.encoded))")

        // The exposition renders, every sample a number at or above 0.
        let live = LiveMetrics(
            rollups: tallied, workflows: Profile.automagik.knownWorkflows, sources: [], build: .unknown(version: "fuzz")
        )
        let text = live.render()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let value = line.split(separator: " ").last.flatMap { Double($0) }
            #expect(value.map { $0 >= 0 && $0.isFinite } == true, "seed \(Self.seed): \(line)")
        }
    }

    @Test func sumsSaturateInsteadOfTrapping() {
        var tally = SeriesTally()
        var labeler = ToolLabeler()
        var r = RunRecord(runId: "r")
        r.apply(.workflow("builder", .report), at: nil, attribution: .exact)
        r.apply(.cost(nano: ValueLimits.costNano, .report), at: nil, attribution: .exact)
        r.apply(.ended(.completed, .correction), at: nil, attribution: .exact)
        for _ in 0..<100_000 { tally.add(r, sign: 1, tools: &labeler) }
        #expect(tally.values[SeriesKey(Metrics.cost.name, ["builder"])] == .max)
        var rollups: SeriesValues = [SeriesKey(Metrics.cost.name, ["builder"]): .max]
        rollups.add([SeriesKey(Metrics.cost.name, ["builder"]): 1])
        #expect(rollups[SeriesKey(Metrics.cost.name, ["builder"])] == .max)
        #expect(Int64.min.saturatingNegated == .max)
    }

    /// One to three of: a flipped byte, a digit run or sign, a cut, a repeated slice, random bytes.
    static func mutate(_ seed: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        var b = seed
        for _ in 0...(rng.next() % 3) {
            let at = b.isEmpty ? 0 : Int(rng.next() % UInt64(b.count))
            switch rng.next() % 7 {
            case 0: if !b.isEmpty { b[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            case 1: b.insert(contentsOf: Array(String(repeating: "9", count: Int(rng.next() % 24) + 1).utf8), at: at)
            case 2: b.insert(contentsOf: Array("-".utf8), at: at)
            case 3: b.removeSubrange(at..<b.count)
            case 4:
                let end = min(b.count, at + Int(rng.next() % 40))
                b.insert(contentsOf: b[at..<end], at: at)
            case 5:
                let bytes: [UInt8] = [
                    0x00, 0x1B, 0xFF, 0x7B, 0x7D, 0x22, 0x28, 0x29, 0x5B, 0x5D, 0x27, 0x2C, 0x3A, 0x0A,
                ]
                b.insert(bytes[Int(rng.next() % UInt64(bytes.count))], at: at)
            default:
                for i in b.indices where rng.next() % 16 == 0 { b[i] = UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
        return b
    }
}

/// SplitMix64: a small seeded generator, so that a failing run can be repeated from its seed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
