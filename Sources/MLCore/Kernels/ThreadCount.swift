import Foundation

/// The one reader of `LUNETTE_THREADS`: how many threads an encoder or a trainer uses when nobody
/// said otherwise.
///
/// Every default thread count in Lunette comes from here (`lunette score`, `serve`, `embed`, the
/// `train` and `evaluate` stages, ``BertEncoder`` and ``ModelArtifact``'s defaults), so they agree on
/// one rule: a positive integer is used as it is; unset, empty, zero, negative or not a number gives
/// ``fallback``. Results never depend on the count (see `README.md`, "The forward pass").
///
/// ```swift
/// ThreadCount.fromEnvironment(["LUNETTE_THREADS": "4"])   // 4
/// ThreadCount.fromEnvironment(["LUNETTE_THREADS": "0"])   // 2
/// ThreadCount.fromEnvironment()                           // from the process's environment
/// ```
public enum ThreadCount {
    /// The environment variable's name.
    public static let variable = "LUNETTE_THREADS"
    /// The count when the variable is absent or not a positive integer.
    public static let fallback = 2

    /// The thread count `environment` asks for (default: the process's environment).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Int {
        guard let text = environment[variable], let count = Int(text.trimmingCharacters(in: .whitespaces)), count > 0
        else { return fallback }
        return count
    }
}
