/// An error from the ML core: a bad model folder, a malformed weights file, a shape mismatch.
///
/// Every error names what was being read (a file path, a tensor name, a line number) and, where
/// there is one, how to fix it. Match on ``code`` rather than on the message text.
public struct MLCoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Hashable, Sendable {
            case fileNotFound = "file not found"
            case invalidSafeTensors = "invalid safetensors"
            case unsupportedDType = "unsupported dtype"
            case missingTensor = "missing tensor"
            case shapeMismatch = "shape mismatch"
            case invalidConfiguration = "invalid configuration"
            case invalidVocabulary = "invalid vocabulary"
            case invalidInput = "invalid input"
            case io = "i/o"
            case trainingDiverged = "training diverged"
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A file or folder the caller named does not exist.
        public static let fileNotFound = Code(.fileNotFound)
        /// A safetensors file is truncated, malformed or hostile.
        public static let invalidSafeTensors = Code(.invalidSafeTensors)
        /// A tensor's dtype cannot be converted to Float32.
        public static let unsupportedDType = Code(.unsupportedDType)
        /// A tensor the model needs is absent from the weights.
        public static let missingTensor = Code(.missingTensor)
        /// A tensor's shape differs from the shape the configuration implies.
        public static let shapeMismatch = Code(.shapeMismatch)
        /// `config.json` or `tokenizer_config.json` is unreadable or inconsistent.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// `vocab.txt` is unreadable or lacks a special token.
        public static let invalidVocabulary = Code(.invalidVocabulary)
        /// Input data (a JSONL line, a text) is malformed.
        public static let invalidInput = Code(.invalidInput)
        /// Reading or writing a file failed.
        public static let io = Code(.io)
        /// Training's loss or gradient became NaN or infinite (lower the learning rate).
        public static let trainingDiverged = Code(.trainingDiverged)

        public var description: String { kind.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, where, and how to fix it.
    public var message: String

    /// Creates an error with a code and a message that says where and how to fix it.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
