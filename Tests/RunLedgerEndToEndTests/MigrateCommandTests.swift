import Foundation
import TestSupport
import Testing

/// `runledger migrate --from data/runledger.db --to postgresql://…` as an operator runs it: one line
/// saying what moved, the fleet's ledger then answering `runs --json` and `metrics` as the host's did,
/// and a second migration into the full ledger refused in one line.
@Suite(.tags(.slow)) struct MigrateCommandTests {
    @Test func aHostLedgerMovesIntoPostgreSQLAndReadsTheSame() throws {
        let dir = TempDir()
        let server = try PostgresServer.shared()
        let uri = server.uri(try server.createDatabase())
        _ = try runledger("replay", "--db", dir.file("host.db"), "--utc-offset", "Z", Paths.sampleLog)
        let moved = try runledger("migrate", "--from", dir.file("host.db"), "--to", uri, "--instance", "host-1")
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(moved.stdout.hasPrefix("moved 30 runs, 1 source positions"), "\(moved.stdout)")
        #expect(moved.stdout.contains("checked: the same runs, rollups and positions"))
        let fleet = try runledger("runs", "--db", uri, "--json").stdout
        let named = #"\n *"instance": "host-1","#
        #expect(fleet.range(of: named, options: .regularExpression) != nil)
        #expect(
            fleet.replacingOccurrences(of: named, with: "", options: .regularExpression)
                == (try runledger("runs", "--db", dir.file("host.db"), "--json").stdout))
        #expect(
            try runledger("metrics", "--db", uri, "--instance", "host-1").stdout
                == (try runledger("metrics", "--db", dir.file("host.db")).stdout))
        let again = try runledger("migrate", "--from", dir.file("host.db"), "--to", uri, "--instance", "host-1")
        #expect(again.status == 1)
        #expect(again.stderr.split(separator: "\n").count == 1)
        #expect(again.stderr.contains("already holds runs or positions"))
    }
}
