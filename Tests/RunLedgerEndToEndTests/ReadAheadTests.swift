import Foundation
import Testing

/// `--read-ahead-lines` trades memory for speed while catching up on a long file; it never changes
/// what ends up in the ledger.
@Suite struct ReadAheadTests {
    @Test func theLedgerIsTheSameWhateverTheReadAhead() throws {
        let dir = TempDir()
        let python = try #require(which("python3"), "python3 runs the log generator")
        let log = dir.file("x.log")
        let gen = try run(
            python,
            [
                Paths.root.appendingPathComponent("tools/gen-executor-log.py").path, "--runs", "1800", "--seed", "21",
                "--envelopes", "mixed", "--log", log, "--truth", dir.file("truth.json"),
            ])
        #expect(gen.status == 0, "\(gen.stderr)")
        // Over the 8 MiB from which a second thread reads ahead: otherwise every setting reads on one.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int)
        #expect(size > 8 << 20)
        var outputs: [String: (runs: String, metrics: String)] = [:]
        for setting in ["default", "0", "1000"] {
            let db = dir.file("\(setting).db")
            let extra = setting == "default" ? [] : ["--read-ahead-lines", setting]
            let replay = try run(Paths.binary, ["replay", "--db", db, "--utc-offset", "Z"] + extra + [log])
            #expect(replay.status == 0, "\(setting): \(replay.stderr)")
            outputs[setting] = (
                try runledger("runs", "--db", db, "--json").stdout, try runledger("metrics", "--db", db).stdout
            )
        }
        let reference = try #require(outputs["default"])
        #expect(reference.runs.contains("\"run_id\""))
        for setting in ["0", "1000"] {
            #expect(outputs[setting]?.runs == reference.runs, "\(setting): runs differ")
            #expect(outputs[setting]?.metrics == reference.metrics, "\(setting): metrics differ")
        }
    }

    @Test func aNegativeReadAheadIsRefusedByName() throws {
        let dir = TempDir()
        let flag = try runledger("replay", "--db", dir.file("l.db"), "--read-ahead-lines=-1", Paths.sampleLog)
        #expect(flag.status == 1)
        #expect(flag.stderr.contains("--read-ahead-lines -1"), "\(flag.stderr)")
        let config = dir.file("c.json")
        for text in [#"{"read_ahead_lines": -1}"#, #"{"read_ahead_lines": true}"#, #"{"read_ahead_lines": "many"}"#] {
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            let r = try runledger("check", "--config", config)
            #expect(r.status == 1)
            #expect(r.stderr.contains("\"read_ahead_lines\" must be"), "\(text): \(r.stderr)")
        }
    }
}
