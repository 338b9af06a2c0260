import RunLedgerCore

#if canImport(Glibc)
    import Glibc
#endif

/// A background step repeated every few seconds (report polls, stall checks).
public enum Periodic {
    /// Runs `step` every `seconds` until `shouldStop` (checked every 100 ms). `report` gets each step's
    /// series change and, when a step failed for a new reason, that reason: a cause is reported once,
    /// not on every retry.
    public static func run(
        every seconds: Double, until shouldStop: () -> Bool, _ step: () throws -> SeriesValues,
        report: (SeriesValues, String?) -> Void
    ) {
        var lastProblem = ""
        while !shouldStop() {
            do {
                report(try step(), nil)
                lastProblem = ""
            } catch {
                let text = "\(error)"
                report([:], text == lastProblem ? nil : text)
                lastProblem = text
            }
            for _ in 0..<max(1, Int(seconds * 10)) where !shouldStop() { usleep(100_000) }
        }
    }
}
