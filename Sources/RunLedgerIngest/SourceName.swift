import Foundation
import RunLedgerSources
import RunLedgerStore

#if canImport(Glibc)
    import Glibc
#endif

/// Which name a file's position is saved under, and the `source` label of its lines: one name per file
/// whatever the spelling it was given by. Keyed by the spelling, `x.log` then `./x.log`, `/abs/x.log`
/// or a symlink read the same file again from the start and counted every line and run twice.
extension FileIngest {
    /// `path` with its directory resolved (`.`, `..`, symlinked directories, the working directory) and
    /// its file name kept as given. The name is kept, not resolved, because files are followed by name
    /// like `tail -F`: a symlink re-pointed at a new file is a rotation of that name.
    public static func canonicalName(_ path: String) -> String {
        guard path != "-", !path.isEmpty else { return path }
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        guard let resolved = realpath(url.deletingLastPathComponent().path, nil) else {
            return url.standardizedFileURL.path
        }
        defer { free(resolved) }
        let dir = String(cString: resolved)
        return (dir == "/" ? "" : dir) + "/" + name
    }

    /// The name the ledger knows the file at `path` by: its canonical name when a position is saved
    /// under it; else the spelling given, when a ledger written before canonical names saved one under
    /// it; else the name of a position saved for this very file under another spelling (a symlink to
    /// it, an older ledger's relative path from another directory); else, for a file new to the
    /// ledger, its canonical name. `file` is the file open at `path`, if it is there.
    public static func sourceName(for path: String, file: (any ByteSource)? = nil, ledger: any LedgerStore) throws
        -> String
    {
        let canonical = canonicalName(path)
        guard path != "-" else { return path }
        if try ledger.hasPosition(canonical) { return canonical }
        if path != canonical, try ledger.hasPosition(path) { return path }
        guard let file = file ?? (try? FileSource(path: path)) else { return canonical }
        return try savedName(of: file, ledger: ledger) ?? canonical
    }

    /// A position saved under another name for the file `file` is now: same device, inode and first
    /// bytes, and not ahead of its end.
    private static func savedName(of file: any ByteSource, ledger: any LedgerStore) throws -> String? {
        let here = file.identity(fingerprintLength: 0)
        for name in try ledger.positionNames(device: here.device, inode: here.inode) {
            guard let saved = try ledger.position(of: name), let id = FileIdentity(saved.identity), file.matches(id),
                !file.followsByName || file.size >= saved.offset
            else { continue }
            switch sameFile(name, here) {
            case true?: return name
            // The other name is another file now: a rotated file is not that name's position.
            case false?: continue
            // The other name is gone (deleted, or relative to another directory). An empty fingerprint
            // proves only the inode, which a new file may reuse after a deletion: not enough then.
            case nil: if id.fingerprintLength > 0 { return name }
            }
        }
        return nil
    }

    /// Whether `path` names the file `identity` names now; nil when `path` names nothing.
    private static func sameFile(_ path: String, _ identity: FileIdentity) -> Bool? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_dev) == identity.device && UInt64(st.st_ino) == identity.inode
    }
}
