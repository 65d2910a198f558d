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
    /// Materialised folders (registered models) whose files did not match their artifact, each
    /// with what was done about it.
    public var damagedFolders: [FolderFinding] = []
    /// Materialised folders of nothing registered any more (e.g. after the store was reset), removed.
    public var removedFolders: [String] = []
    /// How many materialised folders were re-hashed.
    public var foldersChecked = 0

    /// A damaged materialised folder.
    public struct FolderFinding: Hashable, Sendable {
        /// The folder.
        public var path: String
        /// What was wrong (``ContentCache/FolderProblem``'s description).
        public var problem: String
        /// `nil` when it was materialised again from the cache; otherwise why it could not be, and
        /// what to do (the folder was removed, so nothing stale is served).
        public var unrepaired: String?

        public init(path: String, problem: String, unrepaired: String? = nil) {
            self.path = path
            self.problem = problem
            self.unrepaired = unrepaired
        }
    }

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

    /// Whether every object and materialised folder was intact and no record was dropped.
    public var isClean: Bool { corrupt.isEmpty && droppedRecords.isEmpty && damagedFolders.isEmpty }
}
