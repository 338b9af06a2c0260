import Benchmark
import RunLedgerCore

// The reader thread's per-line work (docs/micro-benchmarks.md): extraction, correlation, and both on
// the whole sample (names without spaces: 1.38.1 writes threshold files with `_` for them but reads them by
// the raw name). `make bench-micro` runs them and checks them against Thresholds/.
//
// What is checked, and why: this machine (2 shared cores, a VM) has no hardware counters (`perf stat -e
// instructions true` says "not supported"), so package-benchmark's `instructions` is unavailable here.
// Malloc counts are exact and do not move with load: Thresholds/ holds them alone (`make
// bench-micro-update` writes them), and any change fails the check (more: a regression; fewer: record
// the gain). Throughput is printed, not checked: identical runs here differ by 30-70 % at p90.
let benchmarks: @Sendable () -> Void = {
    let thresholds: [BenchmarkMetric: BenchmarkThresholds] = [
        .mallocCountTotal: .init(absolute: [.p90: 0])
    ]
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(1),
        maxIterations: 2000,
        thresholds: thresholds
    )
    let sample = Sample.shared
    var perLine = Benchmark.defaultConfiguration
    perLine.scalingFactor = .kilo

    // `Extractor.extract` for each of 1000 real lines; printed per line.
    Benchmark("Extractor.extract_per_line", configuration: perLine) { benchmark in
        let extractor = try Extractor(profile: .automagik, envelopes: EnvelopeParser(utcOffsetSeconds: 0))
        let lines = sample.kilo
        benchmark.startMeasurement()
        for r in lines {
            blackHole(extractor.extract(sample.line(r)))
        }
    }

    // `Correlator.process` for each of the same 1000 lines' extractions (made before the measurement), in a
    // fresh correlator each iteration so that every iteration does the same work; printed per extraction.
    Benchmark("Correlator.process_per_extraction", configuration: perLine) { benchmark in
        let extractor = try Extractor(profile: .automagik, envelopes: EnvelopeParser(utcOffsetSeconds: 0))
        let extractions = sample.kilo.map { extractor.extract(sample.line($0)) }
        let correlator = Correlator(profile: .automagik)
        var out: [Attributed] = []
        out.reserveCapacity(4096)
        benchmark.startMeasurement()
        for x in extractions {
            correlator.process(x, into: &out)
        }
        benchmark.stopMeasurement()
        blackHole(out)
    }

    // Both, as the reader does them, on the whole sample (918 lines) once per iteration: printed per sample.
    Benchmark("Extract_and_correlate_whole_sample") { benchmark in
        let extractor = try Extractor(profile: .automagik, envelopes: EnvelopeParser(utcOffsetSeconds: 0))
        let correlator = Correlator(profile: .automagik)
        var out: [Attributed] = []
        out.reserveCapacity(4096)
        benchmark.startMeasurement()
        for r in sample.lines {
            correlator.process(extractor.extract(sample.line(r)), into: &out)
        }
        benchmark.stopMeasurement()
        blackHole(out)
    }
}
