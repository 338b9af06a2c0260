import Testing

@testable import RunLedgerCore

/// The `process_*` metrics from what Linux writes in /proc (proc(5)), parsed without a running process.
@Suite struct ProcessStatsTests {
    /// A `/proc/self/stat` line in proc(5)'s layout whose command name holds spaces and parentheses, as
    /// a thread named by a program may: the fields are counted from the last `)`.
    static let stat =
        "12345 (run (ledger) x) S 1 12345 12345 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 4242 1234567890 5000 "
        + "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0"

    @Test func statFieldsAreCountedFromTheLastParenthesis() throws {
        let s = try #require(
            ProcessStats(
                stat: Self.stat, bootTimeSeconds: 1_700_000_000, ticksPerSecond: 100, pageSize: 4096, openFDs: 12,
                maxFDs: 1024))
        // utime 250 + stime 50 ticks at 100 a second; rss in pages; start 4242 ticks after boot.
        #expect(s.cpuSeconds == 3)
        #expect(s.residentBytes == 5000 * 4096)
        #expect(s.virtualBytes == 1_234_567_890)
        #expect(s.startTimeSeconds == 1_700_000_042.42)
    }

    @Test func aTruncatedOrForeignStatIsNoStats() {
        #expect(
            ProcessStats(
                stat: "12345 (x) S 1 2 3", bootTimeSeconds: 0, ticksPerSecond: 100, pageSize: 4096, openFDs: 0,
                maxFDs: nil) == nil)
        #expect(
            ProcessStats(
                stat: "no parenthesis", bootTimeSeconds: 0, ticksPerSecond: 100, pageSize: 4096, openFDs: 0, maxFDs: nil
            ) == nil)
        #expect(
            ProcessStats(
                stat: Self.stat, bootTimeSeconds: 0, ticksPerSecond: 0, pageSize: 4096, openFDs: 0, maxFDs: nil) == nil)
    }

    @Test func bootTimeAndTheOpenFilesLimitComeFromTheirFiles() {
        #expect(
            ProcessStats.bootTime(procStat: "cpu  1 2 3\nintr 5\nbtime 1764790000\nprocesses 99\n") == 1_764_790_000)
        #expect(ProcessStats.bootTime(procStat: "cpu  1 2 3\n") == nil)
        let limits = """
            Limit                     Soft Limit           Hard Limit           Units
            Max cpu time              unlimited            unlimited            seconds
            Max open files            1024                 524288               files
            """
        #expect(ProcessStats.maxOpenFiles(limits: limits) == 1024)
        #expect(
            ProcessStats.maxOpenFiles(
                limits: "Max open files            unlimited            unlimited            files") == nil)
    }

    /// The names, types and HELP the Go and Python clients export, so dashboards made for them work;
    /// no `process_max_fds` when the limit is unlimited.
    @Test func theExpositionUsesTheClientLibrariesNames() {
        let s = ProcessStats(
            cpuSeconds: 3.5, residentBytes: 20_480_000, virtualBytes: 1e9, startTimeSeconds: 1_700_000_042.42,
            openFDs: 12, maxFDs: nil)
        let text = s.exposition
        #expect(text.contains("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 3.5\n"))
        #expect(text.contains("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 20480000\n"))
        #expect(text.contains("process_start_time_seconds 1700000042.42\n"))
        #expect(text.contains("process_open_fds 12\n"))
        #expect(!text.contains("process_max_fds"))
        var limited = s
        limited.maxFDs = 1024
        #expect(limited.exposition.contains("# TYPE process_max_fds gauge\nprocess_max_fds 1024\n"))
    }
}
