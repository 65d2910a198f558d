/// What a push or a pull says as it goes, for a progress display (`lunette push`/`pull` draw one
/// updating line on a terminal and periodic lines otherwise).
public enum TransferEvent: Sendable, Hashable {
    /// `count` more objects (`bytes` of them known in advance) are about to be checked or moved.
    case planned(count: Int, bytes: Int64)
    /// One planned object is settled: moved (`bytes` transferred) or found already in place (`bytes` 0, `moved` false).
    case settled(key: String, bytes: Int64, moved: Bool)
    /// A line worth showing as it is: a corrupt remote object left out.
    case notice(String)
}

/// Where a push or a pull sends its ``TransferEvent``s; safe from many transfers at once.
public struct ProgressSink: Sendable {
    let handle: @Sendable (TransferEvent) -> Void

    public init(_ handle: @escaping @Sendable (TransferEvent) -> Void) {
        self.handle = handle
    }

    /// Drops every event.
    public static let silent = ProgressSink { _ in }

    func planned(_ count: Int, bytes: Int64) {
        if count > 0 { handle(.planned(count: count, bytes: bytes)) }
    }

    /// An object moved (uploaded, downloaded, or listed by a dry run).
    func done(_ key: String, bytes: Int64) { handle(.settled(key: key, bytes: bytes, moved: true)) }

    /// An object found in place (or left out).
    func skipped(_ key: String) { handle(.settled(key: key, bytes: 0, moved: false)) }

    func notice(_ line: String) { handle(.notice(line)) }
}
