import ArgumentParser
import Foundation
import RunLedgerCore
import RunLedgerIngest
import RunLedgerNotify
import RunLedgerSources
import RunLedgerStore

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the sources to their end once (from the saved positions), then exit.")

    @Option(name: .long, help: "The ledger to write (an SQLite path, or postgresql://…).")
    var db: String?

    @Option(name: .long, help: "Lines per transaction (default 100000): smaller commits more often.")
    var batchLines: Int?

    @OptionGroup var options: SourceOptions

    @OptionGroup var alertOptions: AlertOptions

    @Option(name: .customLong("deliver-for"), help: "Seconds to keep delivering alerts before exiting (default 60).")
    var deliverFor: Double = 60

    func run() async throws {
        try await reportingFailures {
            let settings = try options.settings()
            let dbPath = db ?? settings.db
            guard let dbPath else { throw Failure("replay needs --db PATH (or \"db\" in the config file)") }
            let sources = options.sources.isEmpty ? settings.sources : options.sources
            let journal = try options.journal(settings)
            guard !sources.isEmpty || journal != nil else {
                throw Failure("replay needs at least one log file or a journal")
            }
            let pipeline = try Pipeline(
                db: dbPath, settings: settings, sourceOptions: options, alertOptions: alertOptions, following: false,
                batchLines: batchLines)
            let writer = try pipeline.makeWriter()
            for pattern in sources {
                let paths = expandGlob(pattern)
                if paths.isEmpty { throw Failure("\(pattern): no file matches") }
                for path in paths {
                    let ingest = FileIngest(path: path, writer: writer, options: pipeline.options)
                    try ingest.open()
                    for notice in ingest.takeNotices() { printError("runledger: \(notice)") }
                    let meter = ProgressMeter(label: path)
                    try ingest.readAvailable(progress: stderrIsTerminal ? meter.show : nil)
                    meter.finish()
                    if let problem = ingest.lastProblem { printError("runledger: last malformed line: \(problem)") }
                }
            }
            if let journal {
                let ingest = JournalIngest(
                    selection: journal, writer: writer, options: pipeline.options,
                    start: try options.start(settings, default: .beginning))
                try ingest.open()
                try ingest.readAvailable()
                for notice in ingest.takeNotices() { printError("runledger: \(notice)") }
                if let problem = ingest.lastProblem { printError("runledger: last malformed line: \(problem)") }
            }
            // One poll of each report source, before delivering: the alerts it raises go out too.
            // A source that fails is said and skipped (exit 0): the logs were read all the same.
            for source in pipeline.reportSources {
                do {
                    let outcome = try ReportPoller(source: try source.open(), reader: try pipeline.openReader())
                        .pollOnce()
                    try writer.apply(outcome.facts)
                    if let problem = outcome.problem {
                        printError(
                            "runledger: \(problem) (some of its reports were not read; a later replay asks again)")
                    }
                } catch {
                    printError("runledger: \(error) (its reports were not read)")
                }
            }
            if pipeline.options.alerting.stall != nil {
                // Runs the log left quiet and unended for the threshold, by the log's own clock.
                if let stalls = try StallWatch(reader: try pipeline.openReader(), options: pipeline.options).checkOnce()
                {
                    try writer.apply(stalls)
                }
            }
            if !pipeline.sinks.isEmpty {
                // Deliver what this replay raised (and anything still pending) before exiting.
                let notifier = try pipeline.makeNotifier(publicURL: alertOptions.link(settings))
                let pending = try notifier.drain(deadline: Date().addingTimeInterval(deliverFor))
                if pending > 0 {
                    printError(
                        "runledger: \(pending) alert deliveries still pending (see `runledger alerts --db \(dbPath)`)")
                }
            }
        }
    }
}

/// The writer's connection to the ledger at `location` (`--db`), through its backend.
func openLedger(_ location: String) throws -> any LedgerStore & LedgerQueries & OutboxStore {
    try LedgerBackends.open(location).openWriter()
}

func makeIngestOptions(_ settings: Settings, _ flags: SourceOptions) throws -> FileIngest.Options {
    var o = FileIngest.Options()
    o.profile = settings.resolvedProfile
    o.envelopes = EnvelopeParser(
        zone: try Settings.executorZone(settings, flags),
        assumedYear: Calendar(identifier: .gregorian).component(.year, from: Date()))
    if let cap = settings.toolLabelCap { o.toolCap = cap }
    if let cap = settings.workflowLabelCap { o.workflowCap = cap }
    o.knownWorkflows = settings.workflows
    if let n = flags.readAheadLines ?? settings.readAheadLines {
        guard n >= 0 else { throw Failure("--read-ahead-lines \(n): must be 0 or a number of lines") }
        o.readAheadLines = n
    }
    return o
}

/// A progress line on stderr during long replays (only when stderr is a terminal).
final class ProgressMeter {
    private let label: String
    private let start = Date()
    private var last = Date.distantPast
    private var shown = false

    init(label: String) { self.label = label }

    func show(_ p: FileIngest.Progress) {
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.25 else { return }
        last = now
        shown = true
        let elapsed = max(now.timeIntervalSince(start), 0.001)
        let pct = p.totalBytes > 0 ? Double(p.bytesRead) * 100 / Double(p.totalBytes) : 100
        let line = String(
            format: "\r%@: %5.1f%%  %.1f/%.1f MiB  %lld lines  %.0f lines/s ", label, pct,
            Double(p.bytesRead) / 1_048_576, Double(p.totalBytes) / 1_048_576, p.lines, Double(p.lines) / elapsed)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
