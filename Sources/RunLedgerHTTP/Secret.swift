import Foundation

/// A secret (a webhook URL, an API key) given as itself, as `env:NAME` or as `file:PATH`, so that it
/// need not stand on a command line or in a config file. Errors name where it was to be found, never
/// the value.
public enum Secret {
    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// The secret `spec` stands for. A file's content is trimmed (a trailing newline is not part of it).
    public static func resolve(_ spec: String, environment: [String: String]) throws -> String {
        if spec.hasPrefix("env:") {
            let name = String(spec.dropFirst(4))
            guard let value = environment[name], !value.isEmpty else {
                throw Missing(description: "environment variable \(name) is not set")
            }
            return value
        }
        if spec.hasPrefix("file:") {
            let path = String(spec.dropFirst(5))
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw Missing(description: "cannot read \(path)")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return spec
    }
}
