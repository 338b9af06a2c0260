import Foundation
import Logging
import RunLedgerIngest
import ServiceLifecycle
import Synchronization
import Testing

/// The blocking loops of `serve` run as `ThreadService`s in one `ServiceGroup` (issue 14): one that
/// fails ends the group with its error instead of leaving the rest running without it.
@Suite struct ThreadServiceTests {
    struct Broken: Error {}
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    @Test func aLoopThatFailsEndsTheGroupWithItsErrorAndStopsTheOthers() async throws {
        let otherStopped = Flag()
        let follower = ThreadService(name: "follower") { stop in
            while !stop() { usleep(1_000) }
            otherStopped.set()
        }
        let failing = ThreadService(name: "reports") { _ in
            usleep(50_000)
            throw Broken()
        }
        let group = ServiceGroup(services: [follower, failing], logger: Logger(label: "test"))
        await #expect(throws: Broken.self) { try await group.run() }
        #expect(otherStopped.isSet, "the other loop was asked to stop and did")
    }

    @Test func aLoopThatEndsByItselfIsAFailureToo() async throws {
        let quitter = ThreadService(name: "runledger-ingest") { _ in }
        let group = ServiceGroup(services: [quitter], logger: Logger(label: "test"))
        await #expect(throws: ThreadServiceEnded.self) { try await group.run() }
    }
}
