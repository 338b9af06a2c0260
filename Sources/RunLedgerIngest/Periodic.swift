import RunLedgerCore

#if canImport(Glibc)
    import Glibc
#endif

/// A background step repeated every few seconds (report polls, stall checks).
public enum Periodic {
    /// Runs `step` every `seconds` until `shouldStop` (checked every 100 ms). A step gives, if it left
    /// something unread, why; a throw is a problem too. `report` gets each step's problem (nil: none)
    /// and whether it is new: a cause is logged once, not on every retry, while every failed step can
    /// still be counted.
    public static func run(
        every seconds: Double, until shouldStop: () -> Bool, _ step: () throws -> String?,
        report: (_ problem: String?, _ problemIsNew: Bool) -> Void
    ) {
        var lastProblem = ""
        while !shouldStop() {
            var outcome: String?
            do { outcome = try step() } catch { outcome = "\(error)" }
            let problem = outcome ?? ""
            report(outcome, !problem.isEmpty && problem != lastProblem)
            lastProblem = problem
            for _ in 0..<max(1, Int(seconds * 10)) where !shouldStop() { usleep(100_000) }
        }
    }
}
