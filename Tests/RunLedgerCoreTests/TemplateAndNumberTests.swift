import Testing

@testable import RunLedgerCore

@Suite struct TemplateTests {
    func match(_ pattern: String, _ text: String) -> [String]? {
        let t = try! Template(pattern)
        return withBytes(text) { b in
            var caps: [Range<Int>] = []
            return t.match(b, 0..<b.count, into: &caps) ? caps.map { b.string($0) } : nil
        }
    }

    @Test func typedHolesCaptureTheirText() {
        #expect(match("Cost: ${cost:decimal}, Turns: {turns:int}", "Cost: $0.1087, Turns: 4") == ["0.1087", "4"])
        #expect(
            match("run {id:id} to {s:name}", "run 6fa6ada1-dc7e-465b-85a8-8f005518f95b to completed")
                == ["6fa6ada1-dc7e-465b-85a8-8f005518f95b", "completed"])
        #expect(match("tool - {t:text} (id: {i:id})", "tool - mcp__x__y (id: toolu_01)") == ["mcp__x__y", "toolu_01"])
    }

    @Test func theWholeMessageMustBeConsumed() {
        #expect(match("Turns: {n:int}", "Turns: 4garbage") == nil)
        #expect(match("Cost: ${c:decimal}, Turns: {n:int}", "Cost: $0.21") == nil)
        #expect(match("Cost: ${c:decimal}", "Cost: $abc") == nil)
    }

    @Test func badTemplatesAreRejectedWithTheReason() {
        #expect(throws: Template.ParseError.self) { try Template("x {a:nope}") }
        #expect(throws: Template.ParseError.self) { try Template("x {a:text}{b:int}") }
        #expect(throws: Template.ParseError.self) { try Template("x {a:int") }
    }
}

@Suite struct NumberTests {
    func nano(_ s: String) -> Int64? { withBytes(s) { NumberParser.nano($0, 0..<$0.count) } }

    @Test func costsConvertExactly() {
        #expect(nano("1.5723") == 1_572_300_000)
        #expect(nano("0.1087") == 108_700_000)
        #expect(nano("0") == 0)
        #expect(nano("27.1997") == 27_199_700_000)
        #expect(nano("1.2e-05") == 12_000)
        #expect(nano("0.10868899999") == 108_689_000)
    }

    @Test func garbageIsNotANumber() {
        #expect(nano("abc") == nil)
        #expect(nano("1.2.3") == nil)
        #expect(nano("") == nil)
        #expect(nano("1e") == nil)
        #expect(withBytes("12x") { NumberParser.int($0, 0..<$0.count) } == nil)
    }
}
