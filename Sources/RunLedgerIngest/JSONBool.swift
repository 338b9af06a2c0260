import Foundation

/// Whether a value from JSONSerialization was `true` or `false`. Not `v is Bool`: on Linux every
/// NSNumber casts to Bool, so the numbers 0 and 1 would pass for booleans.
public func isJSONBool(_ v: Any) -> Bool {
    guard let n = v as? NSNumber else { return false }
    return n === (true as NSNumber) || n === (false as NSNumber)
}
