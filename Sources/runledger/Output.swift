#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

func printError(_ s: String) {
    fputs(s + "\n", stderr)
}

var stderrIsTerminal: Bool { isatty(2) == 1 }
