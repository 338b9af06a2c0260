import Testing

@testable import RunLedgerCore

/// What a reload says it changed, and what it leaves for the next start (`ReloadPlan`).
@Suite struct ReloadPlanTests {
    let running = ConfigSnapshot(
        sources: ["/var/log/a.log", "journal"], sinks: ["ops": "generic\nhttp://a", "chat": "slack\nhttp://b"],
        values: ["db": "/var/lib/runledger/runledger.db", "stall_after_minutes": "30.0", "log_level": "info"])

    @Test func sourcesAndSinksAreComparedByNameAndEachSettingByItsKey() {
        var next = running
        next.sources = ["journal", "/var/log/b.log"]
        next.sinks = ["ops": "generic\nhttp://a2", "pager": "alertmanager\nhttp://c"]
        next.values["stall_after_minutes"] = "10.0"
        next.values["cost_budget_usd"] = "5.0"
        next.values["db"] = "/tmp/other.db"
        let plan = ReloadPlan(from: running, to: next)
        #expect(plan.addedSources == ["/var/log/b.log"] && plan.removedSources == ["/var/log/a.log"])
        #expect(plan.addedSinks == ["pager"] && plan.removedSinks == ["chat"] && plan.changedSinks == ["ops"])
        #expect(plan.applied == ["cost_budget_usd", "stall_after_minutes"])
        #expect(plan.ignored == ["db"])
        #expect(
            plan.summary
                == "sources added: /var/log/b.log; sources removed: /var/log/a.log; sinks added: pager; "
                + "sinks removed: chat; sinks changed: ops; settings changed: cost_budget_usd, stall_after_minutes")
        #expect(plan.restartNeeded == "db changed; kept as running until the next start")
        #expect(!plan.summary.contains("http"), "a sink's address is a secret")
    }

    @Test func theSameConfigChangesNothing() {
        let plan = ReloadPlan(from: running, to: running)
        #expect(plan.changesNothing && plan.summary == "nothing changed" && plan.restartNeeded == nil)
    }

    @Test func onlyAChangeThatCannotReloadIsNotAChangeThatRuns() {
        var next = running
        next.values["db"] = "/tmp/other.db"
        let plan = ReloadPlan(from: running, to: next)
        #expect(plan.changesNothing && plan.restartNeeded != nil)
    }
}
