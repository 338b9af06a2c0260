import Testing

@testable import RunLedgerCore

/// The tool lists the executor prints with Python's `repr` (`Final tool extraction results - … ['A', 'B']`).
@Suite struct PythonListTests {
    private func parse(_ text: String) -> [String]? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { PythonRepr.strings($0, 0..<$0.count) }
    }

    @Test func namesInEitherQuoteComeOutAsWritten() {
        #expect(parse("['Bash', 'LS', 'mcp__git__git_status']") == ["Bash", "LS", "mcp__git__git_status"])
        #expect(parse(#"["Read","Write"]"#) == ["Read", "Write"])
        #expect(parse("[]") == [])
        #expect(parse("[ 'Édit' ]") == ["Édit"])
    }

    @Test func escapedCharactersAreUnescaped() {
        #expect(parse(#"['it\'s', 'a\\b', "say \"hi\""]"#) == ["it's", #"a\b"#, #"say "hi""#])
    }

    @Test func anythingElseIsNotAList() {
        for bad in ["", "'Bash'", "['Bash'", "['Bash', ", "['Bash'] x", "[Bash]", #"['a\']"#] {
            #expect(parse(bad) == nil, "\(bad)")
        }
    }
}
