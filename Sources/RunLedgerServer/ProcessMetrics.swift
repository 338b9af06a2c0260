import Foundation
import RunLedgerCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads this process's `process_*` values from /proc on each scrape (a few small reads; Prometheus's
/// Go client does the same).
public enum ProcessMetrics {
    /// This process's values now; nil where /proc cannot be read (not Linux), and the metrics are left out.
    public static func read() -> ProcessStats? {
        guard let stat = text("/proc/self/stat"),
            let boot = text("/proc/stat").flatMap(ProcessStats.bootTime(procStat:))
        else { return nil }
        let openFDs = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count ?? 1) - 1
        return ProcessStats(
            stat: stat, bootTimeSeconds: boot, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))),
            pageSize: Int(sysconf(Int32(_SC_PAGESIZE))),
            // Listing /proc/self/fd opens one descriptor of its own, not counted.
            openFDs: max(0, openFDs), maxFDs: text("/proc/self/limits").flatMap(ProcessStats.maxOpenFiles(limits:)))
    }

    private static func text(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }
}
