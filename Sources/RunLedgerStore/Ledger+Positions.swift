/// Looking saved positions up by what they name rather than by their source's name.
extension Ledger {
    /// Whether a position is saved under `source`.
    public func hasPosition(_ source: String) throws -> Bool {
        var found = false
        try db.prepare("SELECT 1 FROM positions WHERE source = ?").query([.text(source)]) { _ in found = true }
        return found
    }

    /// The sources whose saved file identity is on device `device`, inode `inode` (whatever its
    /// fingerprint): a file read before under another spelling of its path. A range on the identity's
    /// text (`DEV:INO:` up to `DEV:INO;`, `;` sorting right after `:`) uses `positions_by_identity`.
    public func positionNames(device: UInt64, inode: UInt64) throws -> [String] {
        let prefix = "\(device):\(inode)"
        var names: [String] = []
        try db.prepare("SELECT source FROM positions WHERE identity >= ? AND identity < ? ORDER BY source").query([
            .text(prefix + ":"), .text(prefix + ";"),
        ]) { names.append($0.text(0)) }
        return names
    }
}
