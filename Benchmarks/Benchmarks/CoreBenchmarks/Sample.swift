import Foundation

/// The lines the benchmarks feed: the shared sample of a real executor log
/// (`../shared/samples/automagik/executor.log` beside the repository, the file the sample tests read), read
/// when the benchmarks start so that a figure always belongs to the lines beside it.
/// `RUNLEDGER_BENCH_SAMPLE` names another file.
struct Sample: @unchecked Sendable {
    /// The whole file, one buffer; lines are ranges of it (without their `\n`), as the splitter hands them.
    let bytes: UnsafeMutableBufferPointer<UInt8>
    let lines: [Range<Int>]
    let path: String

    static let shared = Sample()

    /// The 1000 lines the per-line benchmarks take at each iteration (`scalingFactor: .kilo`, so that the
    /// figures printed are per line): the sample in order (918 lines), then its first lines again until
    /// 1000. Fixed, so that every iteration does the same work and its malloc count is exact.
    var kilo: [Range<Int>] { (0..<1000).map { lines[$0 % lines.count] } }

    private init() {
        let env = ProcessInfo.processInfo.environment["RUNLEDGER_BENCH_SAMPLE"]
        // This file is Benchmarks/Benchmarks/CoreBenchmarks/Sample.swift in the repository.
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let url =
            env.map { URL(fileURLWithPath: $0) }
            ?? repo.appendingPathComponent("../shared/samples/automagik/executor.log").standardizedFileURL
        guard let data = try? Data(contentsOf: url), !data.isEmpty else {
            fatalError("benchmarks: cannot read the sample \(url.path) (set RUNLEDGER_BENCH_SAMPLE)")
        }
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: data.count)
        _ = bytes.initialize(from: data)
        var lines: [Range<Int>] = []
        var start = 0
        for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "\n") {
            lines.append(start..<i)
            start = i + 1
        }
        if start < bytes.count { lines.append(start..<bytes.count) }
        self.bytes = bytes
        self.lines = lines
        self.path = url.path
    }

    func line(_ r: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[r])
    }
}
