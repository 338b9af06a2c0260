/// The `process_*` metrics every Prometheus client library exports (the Go and Python clients' names and
/// meanings), taken from what Linux says of the process in /proc. Parsing and rendering are here, pure;
/// the server reads the files on each scrape (`ProcessMetrics`).
public struct ProcessStats: Sendable, Equatable {
    public var cpuSeconds: Double
    public var residentBytes: Double
    public var virtualBytes: Double
    public var startTimeSeconds: Double
    public var openFDs: Int
    /// The soft limit on open files; nil when unlimited.
    public var maxFDs: Int?

    public init(
        cpuSeconds: Double, residentBytes: Double, virtualBytes: Double, startTimeSeconds: Double, openFDs: Int,
        maxFDs: Int?
    ) {
        self.cpuSeconds = cpuSeconds
        self.residentBytes = residentBytes
        self.virtualBytes = virtualBytes
        self.startTimeSeconds = startTimeSeconds
        self.openFDs = openFDs
        self.maxFDs = maxFDs
    }

    /// From `/proc/self/stat` (proc(5)): the fields after the command name, which is in parentheses and
    /// may itself hold spaces and parentheses, so the split starts after the last `)`.
    public init?(
        stat: String, bootTimeSeconds: Double, ticksPerSecond: Double, pageSize: Int, openFDs: Int, maxFDs: Int?
    ) {
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        // Index 0 is field 3 (state): utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 21, let utime = Double(fields[11]), let stime = Double(fields[12]),
            let start = Double(fields[19]), let vsize = Double(fields[20]), let rss = Double(fields[21])
        else { return nil }
        self.init(
            cpuSeconds: (utime + stime) / ticksPerSecond, residentBytes: rss * Double(pageSize), virtualBytes: vsize,
            startTimeSeconds: bootTimeSeconds + start / ticksPerSecond, openFDs: openFDs, maxFDs: maxFDs)
    }

    /// The boot time, `btime` in `/proc/stat`.
    public static func bootTime(procStat: String) -> Double? {
        for line in procStat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingPrefixSpaces())
        }
        return nil
    }

    /// The soft limit of "Max open files" in `/proc/self/limits`; nil when it says unlimited or is missing.
    public static func maxOpenFiles(limits: String) -> Int? {
        for line in limits.split(separator: "\n") where line.hasPrefix("Max open files") {
            let columns = line.dropFirst("Max open files".count).split(separator: " ", omittingEmptySubsequences: true)
            return columns.first.flatMap { Int($0) }
        }
        return nil
    }

    /// The text exposition of these values, HELP and TYPE lines included.
    public var exposition: String {
        var out = ""
        func add(_ name: String, _ type: String, _ help: String, _ value: Double) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(Self.format(value))\n"
        }
        add("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds)
        if let maxFDs { add("process_max_fds", "gauge", "Maximum number of open file descriptors.", Double(maxFDs)) }
        add("process_open_fds", "gauge", "Number of open file descriptors.", Double(openFDs))
        add("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentBytes)
        add(
            "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
            startTimeSeconds)
        add("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", virtualBytes)
        return out
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

extension Substring {
    fileprivate func trimmingPrefixSpaces() -> Substring { drop(while: { $0 == " " }) }
}
