import Testing

@testable import RunLedgerCore

@Suite struct EnvelopeTests {
    let parser = EnvelopeParser(utcOffsetSeconds: -3 * 3600, assumedYear: 2025)

    func message(_ line: String) -> (String, Envelope) {
        withBytes(line) { b in
            let e = parser.parse(b)
            return (b.string(e.message), e)
        }
    }

    @Test func verboseEnvelopeGivesTimeInUTCAndStripsDecorations() {
        let (msg, env) = message(Executor.verbose("SDK Executor: Processing 9 collected messages for data extraction"))
        #expect(msg == "SDK Executor: Processing 9 collected messages for data extraction")
        #expect(env.kind == .verbose)
        // 18:14:06,902 at -03:00 is 21:14:06.902 UTC.
        #expect(env.timeMs.map(Timestamps.iso8601) == "2025-06-19T21:14:06.902Z")
        #expect(!env.truncated)
    }

    @Test func doubledEmojiPrefixIsStripped() {
        let (msg, _) = message(
            Executor.verbose("📝 AUTO-COMMIT: ⏭️  SKIPPED - Conditions not met", logger: "src.agents.claude_code.agent"))
        #expect(msg == "AUTO-COMMIT: ⏭️  SKIPPED - Conditions not met")
    }

    @Test func messageOnlyLineHasNoTime() {
        let (msg, env) = message("⚠️ \u{1B}[93mTaskGroup conflict detected in SDK execution: boom\u{1B}[0m")
        #expect(msg == "TaskGroup conflict detected in SDK execution: boom")
        #expect(env.kind == .plain)
        #expect(env.timeMs == nil)
    }

    @Test func journalShortOutput() {
        let line = "Jun 19 18:14:29 DESKTOP-7QK2M python[48211]: 📝 \u{1B}[92mStatus endpoint for x: y\u{1B}[0m"
        let (msg, env) = message(line)
        #expect(msg == "Status endpoint for x: y")
        #expect(env.kind == .journal)
        #expect(env.timeMs.map(Timestamps.iso8601) == "2025-06-19T21:14:29.000Z")
    }

    @Test func journalShortISOOutputCarriesItsOwnZone() {
        let (msg, env) = message("2025-06-19T18:14:29-0300 host python[1]: hello")
        #expect(msg == "hello")
        #expect(env.timeMs.map(Timestamps.iso8601) == "2025-06-19T21:14:29.000Z")
    }

    @Test func uvicornAccessLineStartsAtTheRequest() {
        let (msg, env) = message("INFO:     127.0.0.1:52814 - \"GET /api/v1/x HTTP/1.1\" 200 OK")
        #expect(msg == "\"GET /api/v1/x HTTP/1.1\" 200 OK")
        #expect(env.kind == .uvicorn)
    }

    @Test func lineCutBeforeTheColourResetIsTruncated() {
        let line =
            "2025-06-19 18:16:10,004 - src.agents.claude_code.sdk_executor - INFO - 📝 \u{1B}[92mSDK Executor: Captured final metrics during streaming - Cost: $0.21"
        let (_, env) = message(line)
        #expect(env.truncated)
    }

    @Test func invalidUTF8InTheEnvelopeIsTolerated() {
        var bytes = Array("2025-06-19 18:14:06,902 - src.\u{FF}bad - INFO - ".utf8)
        bytes[31] = 0xFF
        bytes += Array("hello".utf8)
        let msg = withBytes(bytes) { b in b.string(parser.parse(b).message) }
        #expect(msg == "hello")
    }

    @Test func crlfEndingsAreIgnored() {
        let (msg, _) = message(Executor.plain("Starting Automagik Agents API") + "\r")
        #expect(msg == "Starting Automagik Agents API")
    }
}
