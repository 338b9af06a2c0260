import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `serve` against clients that connect and do not finish asking: half a header, a header trickled a
/// byte at a time, hundreds of idle connections. Real sockets on 127.0.0.1, bounded counts and waits.
@Suite(.serialized, .tags(.slow)) struct ConnectionLimitTests {
    func connectTo(_ port: Int) -> Int32 { connectLoopback(port) }

    func send(_ fd: Int32, _ text: String) {
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    /// Whether the server closed `fd` (end of stream or reset), waiting at most `ms`.
    func closedByServer(_ fd: Int32, withinMs ms: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, ms) > 0 else { return false }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }

    func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    @Test func halfAHeaderOrATrickledOneIsClosedWithinSeconds() throws {
        let dir = TempDir()
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), Paths.sampleLog], dir: dir)
        defer { _ = serve.stop() }
        #expect(serve.port > 0, "serve did not start: \(serve.stderr)")
        let half = connectTo(serve.port)
        let trickle = connectTo(serve.port)
        let silent = connectTo(serve.port)
        defer { [half, trickle, silent].forEach { close($0) } }
        #expect(half >= 0 && trickle >= 0 && silent >= 0)
        send(half, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        // Slowloris: one byte of a header that never ends every 250 ms; each byte is activity, yet
        // the head is never complete.
        let start = Date()
        var closed: [Int32: Double] = [:]
        var i = 0
        while Date().timeIntervalSince(start) < 9, closed.count < 3 {
            if closed[trickle] == nil { send(trickle, i == 0 ? "GET / HTTP/1.1\r\nX-Slow: " : "a") }
            i += 1
            for fd in [half, trickle, silent] where closed[fd] == nil {
                if closedByServer(fd, withinMs: 0) { closed[fd] = Date().timeIntervalSince(start) }
            }
            usleep(250_000)
        }
        // The header timeout is 5 s from the connection's start (before: none of them was ever closed).
        for (name, fd) in [("half a header", half), ("a trickled header", trickle), ("nothing sent", silent)] {
            let at = closed[fd]
            #expect(at != nil && at! >= 4 && at! < 8, "\(name): closed at \(String(describing: at))")
        }
        #expect(serve.get("/healthz")?.status == 200)
    }

    @Test func healthzAnswersBesideSixHundredIdleConnectionsAndDescriptorsStayCapped() throws {
        let dir = TempDir()
        let serve = try ServeProcess(args: ["--db", dir.file("l.db"), Paths.sampleLog], dir: dir)
        defer { _ = serve.stop() }
        #expect(serve.port > 0, "serve did not start: \(serve.stderr)")
        #expect(serve.waitFor("/healthz", within: 10) { $0.contains("\"up\":true") } != nil)
        let baseline = openDescriptors(serve.process.processIdentifier)
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        let start = Date()
        for _ in 0..<600 where Date().timeIntervalSince(start) < 3 {
            let fd = connectTo(serve.port)
            if fd >= 0 { idle.append(fd) }
        }
        #expect(idle.count == 600, "opened \(idle.count) in 3 s")
        // Health checks and scrapes still get through, promptly, while every idle connection is open
        // on the client's side (well inside the 5 s header timeout).
        for _ in 0..<5 {
            let asked = Date()
            let answer = serve.get("/healthz")
            #expect(answer?.status == 200)
            #expect(Date().timeIntervalSince(asked) < 1, "healthz took \(Date().timeIntervalSince(asked)) s")
        }
        #expect(serve.get("/metrics")?.status == 200)
        // At most 512 connections are held (before: all 600, and ~21,000 exhausted the descriptors).
        let held = openDescriptors(serve.process.processIdentifier) - baseline
        #expect(held <= 512, "serve holds \(held) more descriptors than before the flood")
        #expect(Date().timeIntervalSince(start) < 4.5, "too slow to judge before the header timeout")
        // The oldest idle connections made room: at least the 88 beyond the cap, closed by the server.
        let closed = idle.filter { closedByServer($0, withinMs: 0) }.count
        #expect(closed >= 600 - 512, "\(closed) closed")
    }

    @Test func aConnectionCapBelowOneIsNamed() throws {
        let dir = TempDir()
        let r = try run(
            Paths.binary, ["serve", "--db", dir.file("l.db"), "--max-connections", "0", Paths.sampleLog], timeout: 20)
        #expect(r.status == 1)
        #expect(r.stderr.contains("--max-connections 0: must be 1 or more"), "\(r.stderr)")
    }
}
