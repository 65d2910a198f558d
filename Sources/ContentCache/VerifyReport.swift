import Basics

/// What ``ContentCache/verifyAll()`` found: how much it rehashed, what was corrupt, what it dropped.
public struct VerifyReport: Hashable, Sendable {
    /// How many objects were rehashed.
    public var objectsChecked: Int
    /// How many bytes were rehashed.
    public var bytesChecked: Int64
    /// Objects whose bytes did not match their name, now in `quarantine/`, sorted.
    public var corrupt: [ContentHash]
    /// Index entries removed because an output (or a tree entry) was missing or corrupt, sorted.
    public var droppedRecords: [ContentHash]
    /// Files under `objects/` or `index/` whose names are not digests (left in place), sorted.
    public var strayFiles: [String]

    public init(
        objectsChecked: Int, bytesChecked: Int64, corrupt: [ContentHash], droppedRecords: [ContentHash],
        strayFiles: [String]
    ) {
        self.objectsChecked = objectsChecked
        self.bytesChecked = bytesChecked
        self.corrupt = corrupt.sorted()
        self.droppedRecords = droppedRecords.sorted()
        self.strayFiles = strayFiles.sorted()
    }

    /// Whether every object was intact and no record was dropped.
    public var isClean: Bool { corrupt.isEmpty && droppedRecords.isEmpty }
}
