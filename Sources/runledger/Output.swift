import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One line on standard error, written whole (one `write`), so lines from several threads never mix.
func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

var stderrIsTerminal: Bool { isatty(2) == 1 }
