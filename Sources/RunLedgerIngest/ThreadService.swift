import Foundation
import ServiceLifecycle
import Synchronization

/// A blocking loop on a thread of its own, as a swift-service-lifecycle `Service`: file reads, journal
/// waits, libcurl and SQLite block, and Swift's cooperative pool has two threads here, so they must not
/// sit on it. Graceful shutdown (SIGTERM, SIGINT) or cancellation sets the flag the loop asks at each
/// step (`FileIngest` asks it between batches), and `run` returns when the thread's body does: no
/// polling. A body that throws, or returns before it was asked to stop, ends `run` with an error, which
/// ends the service group (and `serve`, exit 1, the error said).
public final class ThreadService: Service, Sendable {
    /// The loop: it runs until `shouldStop` says so, and may throw.
    public typealias Body = (_ shouldStop: @escaping @Sendable () -> Bool) throws -> Void

    private let name: String
    /// Handed to the thread that runs it, once: the loop's objects (a follower, a poller) belong to that
    /// thread alone, so they need not be `Sendable`; `sending` makes the caller give them up.
    private let body: Mutex<Body?>
    private let stopRequested = Atomic<Bool>(false)

    public init(name: String, body: sending @escaping Body) {
        self.name = name
        self.body = Mutex(body)
    }

    public func run() async throws {
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                let thread = Thread { [self] in
                    do {
                        guard let loop = body.withLock({ $0.take() }) else { return done.resume() }
                        try loop { self.stopRequested.load(ordering: .acquiring) }
                        // Its loops end only when asked to: one that ends by itself has failed.
                        if self.stopRequested.load(ordering: .acquiring) {
                            done.resume()
                        } else {
                            done.resume(throwing: ThreadServiceEnded(name: self.name))
                        }
                    } catch {
                        done.resume(throwing: error)
                    }
                }
                thread.name = name
                thread.start()
            }
        } onCancelOrGracefulShutdown: { [self] in
            stopRequested.store(true, ordering: .releasing)
        }
    }
}

/// A thread service's body returned while no stop was asked for.
public struct ThreadServiceEnded: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "\(name): its loop ended by itself" }
}
