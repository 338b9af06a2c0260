import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A fleet on one PostgreSQL ledger (issue 16): two instances, each as its own host would run it,
/// following its own executor.log at the same path. Killed with `kill -9` over and over while their logs
/// grow and rotate, each must end exactly like its log replayed once, and the fleet's runs like the two
/// replays together: an instance resumes from its own position only, and never writes over the other.
@Suite(.serialized, .tags(.slow)) struct FleetKillTests {
    let server: PostgresServer
    init() throws { server = try PostgresServer.shared() }

    /// One host of the fleet: its instance name, its executor's directory (mounted where every host's
    /// instance reads it, `onHost`), and the whole log its executor writes there.
    struct Host {
        let name: String
        let logDir: String
        let allDir: String
        let lines: [String]
    }

    @Test func twoInstancesKilledTwentyTimesEachEndLikeTheirLogsReplayedOnce() throws {
        let started = Date()
        let dir = TempDir()
        let python = try #require(which("python3"))
        // Every host follows /…/host/executor.log: the positions of both instances are under one source
        // name, as on real hosts, so that one instance reading the other's position shows.
        let mountPoint = dir.file("host")
        let log = mountPoint + "/executor.log"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        var hosts: [Host] = []
        for (name, seed) in [("a", 8), ("b", 9)] {
            let logDir = dir.file(name)
            let allDir = dir.file(name + "-all")
            for d in [logDir, allDir] {
                try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            }
            // Seeded run ids: the two logs' runs are disjoint (checked below).
            let gen = try run(
                python,
                [
                    Paths.root.appendingPathComponent("tools/gen-executor-log.py").path, "--runs", "1800", "--seed",
                    String(seed), "--log", allDir + "/executor.log", "--truth", dir.file(name + "-truth.json"),
                ])
            #expect(gen.status == 0, "\(gen.stderr)")
            let lines = try linesOf(allDir + "/executor.log")
            #expect(lines.count > 50_000)
            hosts.append(Host(name: name, logDir: logDir, allDir: allDir, lines: lines))
        }

        // Each log replayed once, uninterrupted, into a database of its own, from the same path.
        var onceRuns: [Set<String>] = []
        var onceMetrics: [String] = []
        for host in hosts {
            let once = server.uri(try server.createDatabase())
            let replay = try runOnHost(
                host.allDir, mountPoint, ["replay", "--db", once, "--instance", host.name, "--utc-offset", "Z", log])
            #expect(replay.status == 0, "\(replay.stderr)")
            onceRuns.append(try runObjects(try runledger("runs", "--db", once, "--json").stdout))
            onceMetrics.append(try runledger("metrics", "--db", once, "--instance", host.name).stdout)
        }
        #expect(onceRuns.map(\.count) == [1800, 1800])
        #expect(onceRuns[0].isDisjoint(with: onceRuns[1]))

        let fleet = server.uri(try server.createDatabase())
        // Written for 15 s or so: the instances' 20 lives each fall mostly while their log grows.
        let writers = hosts.map {
            startGrowingLog($0.logDir + "/executor.log", lines: $0.lines, rotations: 4, pause: 60_000)
        }

        // Both instances at once, each killed on its own clock: once it has committed lines it had not
        // at its last kill (or has read all there is), 0 to 300 ms later. Timed from its start instead,
        // a loaded machine killed instances still starting up, again and again, that had read nothing.
        var rng = SystemRandomNumberGenerator()
        var running: [Process?] = [nil, nil]
        var ports = [0, 0]
        var startedAt = [Date(), Date()]
        var killAt: [Date?] = [nil, nil]
        var starts = [0, 0]
        var kills = [0, 0]
        var progress: [[Double]] = [[], []]
        var unkilledExits: [String] = []
        let giveUp = Date().addingTimeInterval(120)
        while kills.contains(where: { $0 < 20 }), Date() < giveUp {
            for (i, host) in hosts.enumerated() where kills[i] < 20 {
                let errPath = dir.file("\(host.name)-\(starts[i]).err")
                guard let p = running[i] else {
                    starts[i] += 1
                    running[i] = try startOnHost(
                        host.logDir, mountPoint,
                        [
                            "serve", "--db", fleet, "--instance", host.name, "--listen", "127.0.0.1:0",
                            "--utc-offset", "Z", log,
                        ], stderr: dir.file("\(host.name)-\(starts[i]).err"))
                    (ports[i], startedAt[i], killAt[i]) = (0, Date(), nil)
                    continue
                }
                if !p.isRunning {
                    // Refused or failed on its own: say how, and start it again.
                    let said = (try? String(contentsOfFile: errPath, encoding: .utf8))
                    unkilledExits.append("\(host.name) exited \(p.terminationStatus): \(said?.suffix(300) ?? "")")
                    running[i] = nil
                    continue
                }
                if killAt[i] == nil {
                    if ports[i] == 0 { ports[i] = servingPort(errPath) ?? 0 }
                    let read = ports[i] == 0 ? nil : httpGet(port: ports[i], "/metrics").map { linesTotal($0.body) }
                    let moved = read.map { $0 > (progress[i].last ?? 0) || $0 == Double(host.lines.count) } ?? false
                    // Bounded: one that never moves is killed anyway, and the progress check below fails.
                    if moved || Date().timeIntervalSince(startedAt[i]) > 15 {
                        killAt[i] = Date().addingTimeInterval(Double.random(in: 0...0.3, using: &rng))
                    }
                }
                guard let at = killAt[i], Date() >= at else { continue }
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                kills[i] += 1
                running[i] = nil
                progress[i].append(try linesRead(fleet, host.name))
            }
            usleep(20_000)
        }
        #expect(kills == [20, 20])
        #expect(unkilledExits.isEmpty, "\(unkilledExits)")
        // The kills interrupted instances that were moving: the lines read grew between most of them.
        #expect(progress.allSatisfy { Set($0).count >= 8 }, "\(progress)")
        for _ in 0..<6000 where writers.contains(where: { !$0.isFinished }) { usleep(10_000) }
        #expect(writers.allSatisfy { $0.isFinished })
        // All four rotations happened on each host, some of them while its instance was down.
        for host in hosts {
            #expect((1...4).allSatisfy { FileManager.default.fileExists(atPath: host.logDir + "/executor.log.\($0)") })
        }

        // Both once more, to the end, and stopped gracefully.
        let serves = try hosts.map { host in
            try ServeProcess(
                args: ["--db", fleet, "--instance", host.name, "--utc-offset", "Z", log], dir: dir,
                errName: host.name + ".err", launcher: try onHost(host.logDir, mountPoint))
        }
        for (host, serve) in zip(hosts, serves) {
            let caughtUp = serve.waitFor("/metrics", within: 60) { body in
                samples(body).filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +)
                    == Double(host.lines.count)
            }
            #expect(caughtUp != nil, "\(host.name) did not catch up; serve said: \(serve.stderr.suffix(800))")
        }
        #expect(serves.map { $0.stop() } == [0, 0])

        let fleetRuns = try runObjects(try runledger("runs", "--db", fleet, "--json").stdout)
        #expect(fleetRuns.count == 3600)
        // Compared as sets, and told as counts and one example: a failure prints no 8 MB of runs.
        let replayed = onceRuns[0].union(onceRuns[1])
        let missing = replayed.subtracting(fleetRuns)
        let extra = fleetRuns.subtracting(replayed)
        let example = String((missing.first ?? extra.first)?.prefix(600) ?? "")
        #expect(
            missing.isEmpty && extra.isEmpty,
            "\(missing.count) replayed runs differ in the fleet's ledger, \(extra.count) of its runs not replayed; e.g. \(example)"
        )
        for (i, host) in hosts.enumerated() {
            #expect(try runledger("metrics", "--db", fleet, "--instance", host.name).stdout == onceMetrics[i])
        }
        print(
            "fleet kill test: kills \(kills), distinct progress points \(progress.map { Set($0).count }),"
                + " \(Int(Date().timeIntervalSince(started))) s")
    }

    @Test func aSecondServeUnderTheSameInstanceIsRefusedInOneLineWhileAnotherInstanceRuns() throws {
        let dir = TempDir()
        let db = server.uri(try server.createDatabase())
        try FileManager.default.copyItem(atPath: Paths.sampleLog, toPath: dir.file("x.log"))
        // Another host's log: runs of its own, which a second writer of `a` would read into a's positions.
        let python = try #require(which("python3"))
        let gen = try run(
            python,
            [
                Paths.root.appendingPathComponent("tools/gen-executor-log.py").path, "--runs", "60", "--seed", "9",
                "--log", dir.file("y.log"), "--truth", dir.file("truth.json"),
            ])
        #expect(gen.status == 0, "\(gen.stderr)")
        let yLines = try linesOf(dir.file("y.log")).count

        let a = try ServeProcess(
            args: ["--db", db, "--instance", "a", "--utc-offset=-03:00", dir.file("x.log")], dir: dir, errName: "a.err")
        defer { if a.process.isRunning { _ = a.stop() } }
        #expect(a.waitFor("/metrics", within: 20) { linesTotal($0) == 918 } != nil, "\(a.stderr)")
        let runs = try runledger("runs", "--db", db, "--json").stdout
        let metricsA = try runledger("metrics", "--db", db, "--instance", "a").stdout

        let second = try run(
            Paths.binary,
            [
                "serve", "--db", db, "--instance", "a", "--listen", "127.0.0.1:0", "--utc-offset=-03:00",
                dir.file("y.log"),
            ], timeout: 10)
        #expect(second.status != 0)
        let said = second.stderr.split(separator: "\n")
        #expect(said.count == 1, "\(second.stderr)")
        #expect(said.first?.contains("instance a ") == true, "\(second.stderr)")
        // It changed nothing.
        #expect(try runledger("runs", "--db", db, "--json").stdout == runs)
        #expect(try runledger("metrics", "--db", db, "--instance", "a").stdout == metricsA)

        // Another instance name on the same ledger runs beside it, and reads its log to the end.
        let b = try ServeProcess(
            args: ["--db", db, "--instance", "b", "--utc-offset=-03:00", dir.file("y.log")], dir: dir, errName: "b.err")
        defer { if b.process.isRunning { _ = b.stop() } }
        #expect(b.waitFor("/metrics", within: 20) { linesTotal($0) == Double(yLines) } != nil, "\(b.stderr)")
        #expect(a.process.isRunning)
        #expect(linesTotal(try runledger("metrics", "--db", db, "--instance", "b").stdout) == Double(yLines))
        #expect(try runledger("metrics", "--db", db, "--instance", "a").stdout == metricsA)
        #expect(try runObjects(try runledger("runs", "--db", db, "--json").stdout).count == 30 + 60)
        // The pages show the fleet: a's lists b's runs, each naming b, and narrows to one instance.
        let bRuns = a.get("/runs?instance=b&limit=100")?.body ?? ""
        #expect(bRuns.contains("<p>60 runs match."), "\(bRuns.suffix(2000))")
        #expect(bRuns.components(separatedBy: #"<td class="instance">b</td>"#).count - 1 == 60)
        #expect(!bRuns.contains(#"<td class="instance">a</td>"#))
        #expect(a.get("/runs?limit=100")?.body.contains(#"<td class="instance">a</td>"#) == true)
        #expect(b.stop() == 0)
        #expect(a.stop() == 0)
    }

    /// A command that runs what follows it as on a host of its own: in a mount namespace of its own
    /// where `logDir` is mounted at `mountPoint` (so that two instances read different files at one
    /// path), then exec'd, so that its pid is runledger's and `kill -9` reaches runledger itself.
    func onHost(_ logDir: String, _ mountPoint: String) throws -> [String] {
        let unshare = try #require(which("unshare"), "the fleet test runs each instance in a mount namespace")
        // Without root, a user namespace of its own lets the bind mount happen.
        let user = getuid() == 0 ? [] : ["--map-root-user"]
        return [unshare, "--mount", "--propagation", "private"] + user + [
            "/bin/sh", "-c", #"mount --bind "$0" "$1" && shift && exec "$@""#, logDir, mountPoint,
        ]
    }

    func runOnHost(_ logDir: String, _ mountPoint: String, _ args: [String]) throws -> Result {
        let launcher = try onHost(logDir, mountPoint)
        return try run(launcher[0], Array(launcher.dropFirst()) + [Paths.binary] + args)
    }

    func startOnHost(_ logDir: String, _ mountPoint: String, _ args: [String], stderr: String) throws -> Process {
        let launcher = try onHost(logDir, mountPoint)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: launcher[0])
        p.arguments = Array(launcher.dropFirst()) + [Paths.binary] + args
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// The lines an instance has read, as its metrics say.
    func linesRead(_ db: String, _ instance: String) throws -> Double {
        linesTotal(try runledger("metrics", "--db", db, "--instance", instance).stdout)
    }

    func linesTotal(_ exposition: String) -> Double {
        samples(exposition).filter { $0.key.hasPrefix("runledger_lines_total{") }.values.reduce(0, +)
    }

    /// `runs --json` as a set of its run objects, each in one spelling (sorted keys): a fleet's runs are
    /// listed in the order its instances wrote them, which interleaves.
    func runObjects(_ json: String) throws -> Set<String> {
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        let spelled = try list.map {
            String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self)
        }
        #expect(Set(spelled).count == spelled.count, "a run listed twice")
        return Set(spelled)
    }
}
