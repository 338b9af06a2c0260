import Testing

extension Tag {
    /// Tests that start servers (Prometheus, Alertmanager, PostgreSQL, journald, Chromium), kill and restart
    /// `runledger` in loops, or fuzz: `make test` runs them, `make test-fast` (the edit loop) does not.
    @Tag public static var slow: Self
}
