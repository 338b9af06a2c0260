import Foundation
import Testing

/// `examples/` carries copies of the shared samples so that the repository tests alone (a CI clone
/// anywhere); beside `../shared`, the copies must not have drifted from the originals.
@Suite struct BundledSamplesTests {
    @Test func theBundledSamplesEqualTheSharedOnes() throws {
        let shared = Fixture.root.deletingLastPathComponent().appendingPathComponent("shared/samples/automagik")
        let bundled = Fixture.root.appendingPathComponent("examples")
        for name in ["executor.log", "truth.json", "workflow_runs.db"] {
            let copy = try Data(contentsOf: bundled.appendingPathComponent(name))
            #expect(!copy.isEmpty, "examples/\(name)")
            let original = shared.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: original.path) else { continue }
            #expect(try Data(contentsOf: original) == copy, "examples/\(name) differs from \(original.path)")
        }
    }
}
