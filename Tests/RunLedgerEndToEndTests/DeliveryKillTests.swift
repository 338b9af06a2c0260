import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension DeliveryUnderFailureTests {
    /// `kill -9` while a request is in flight, restart, again and again: no alert is lost, and a
    /// receiver that honours `Idempotency-Key` accepts each once; the resends are counted, since a
    /// receiver that ignores the key would have shown each of them twice.
    @Test func killedDuringDeliveryNoAlertIsLostAndNoneIsAcceptedTwice() throws {
        let dir = TempDir()
        let db = dir.file("l.db")
        let expected = try expectedAlertKeys(executorDB: true)
        // Each new delivery is answered after 1.5 s: a window to kill runledger while it waits.
        let receiver = try Receiver(dir: dir, plan: #"{"/hook": ["slow:1.5"]}"#, seconds: 240, idempotent: true)
        defer { receiver.stop() }
        let args = ["--db", db, "--webhook", "generic=\(receiver.url("/hook"))"] + Self.sample
        var rng = SystemRandomNumberGenerator()
        var killed: [(seq: Int, key: String)] = []
        var pendingAfterKill = 0
        let began = Date()
        for _ in 0..<10 where killed.count < 5 {
            let since = Date().timeIntervalSince1970
            let serve = try ServeProcess(args: args, dir: dir)
            // A new delivery from this process, answer not yet given: kill while curl waits for it.
            var target: [String: Any]?
            let deadline = Date().addingTimeInterval(20)
            while target == nil, Date() < deadline {
                let answered = receiver.clientGone
                target = receiver.requests.first {
                    ($0["t"] as? Double ?? 0) > since && ($0["answer"] as? String ?? "").hasPrefix("slow:")
                        && wasAccepted($0) && answered[$0["seq"] as? Int ?? -1] == nil
                }
                if target == nil { usleep(20_000) }
            }
            guard let target else {
                _ = serve.stop()
                break
            }
            usleep(UInt32.random(in: 50_000...500_000, using: &rng))
            kill(serve.process.processIdentifier, SIGKILL)
            serve.process.waitUntilExit()
            killed.append((target["seq"] as? Int ?? -1, idempotencyKey(target)))
            // Not marked sent before its answer came: still pending in the outbox.
            if try outbox(db).first(where: { outboxKey($0) == idempotencyKey(target) })?["state"] as? String
                == "pending"
            {
                pendingAfterKill += 1
            }
        }
        #expect(killed.count == 5)

        // Restarted once more and left to finish.
        let last = try ServeProcess(args: args, dir: dir)
        var done = false
        let until = Date().addingTimeInterval(90)
        while !done, Date() < until {
            done = try outbox(db, state: "sent").count == expected.count
            if !done { usleep(200_000) }
        }
        #expect(last.stop() == 0)
        let stillPending = try outbox(db, state: "pending").map(outboxKey)
        #expect(done, "pending: \(stillPending)")
        let took = Date().timeIntervalSince(began)
        // The receiver notices a killed client when its 1.5 s wait ends.
        for _ in 0..<40 where killed.contains(where: { receiver.clientGone[$0.seq] == nil }) { usleep(100_000) }

        let requests = receiver.requests("/hook")
        let gone = receiver.clientGone
        let inFlight = killed.filter { gone[$0.seq] == true }
        #expect(inFlight.count >= 1, "no kill landed while a request was in flight: \(killed) \(gone)")
        #expect(pendingAfterKill == inFlight.count)
        // None lost, none accepted twice.
        let accepted = requests.filter(wasAccepted).map(idempotencyKey)
        #expect(Set(accepted) == expected)
        #expect(accepted.count == expected.count)
        // Resends: exactly the requests whose answer a kill cut off, each once, with the same key.
        let resent = requests.filter { $0["duplicate"] as? Bool == true }.map(idempotencyKey)
        let cutOff = requests.filter { gone[$0["seq"] as? Int ?? -1] == true }.map(idempotencyKey)
        #expect(resent.sorted() == cutOff.sorted())
        #expect(requests.count == expected.count + resent.count)
        // The outbox: all sent, each counted sent once, and every attempt counted, the killed ones too.
        let rows = try outbox(db)
        #expect(rows.count == expected.count)
        #expect(rows.allSatisfy { $0["state"] as? String == "sent" })
        for row in rows {
            let key = outboxKey(row)
            #expect(row["attempts"] as? Int == requests.filter { idempotencyKey($0) == key }.count, "\(key)")
        }
        #expect(try sentAlertCount(db) == Double(expected.count))
        print(
            "kill -9 during delivery: \(killed.count) kills, \(inFlight.count) with a request in flight, "
                + "\(resent.count) resends (duplicates without the key), \(accepted.count) deliveries accepted once "
                + "of \(requests.count) requests, in \(String(format: "%.1f", took)) s")
    }
}
