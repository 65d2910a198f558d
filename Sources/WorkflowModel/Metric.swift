/// A function from part of an LLM trace to a score.
public struct Metric: Hashable, Sendable, Codable {
    /// The metric's name, e.g. `toxicity` or `brand_voice`; the registry registers it under this name.
    public var name: String
    /// The preset it came from, when it came from one.
    public var preset: String?
    /// The judge prompt used by the label stage (and by generate to describe the metric).
    public var prompt: String?
    public var output: MetricOutput
    /// Label names in index order. Boolean metrics have `["false", "true"]`.
    public var labels: [String]
    public var step: MetricStep
    public var input: InputFormat

    public init(
        name: String, preset: String? = nil, prompt: String? = nil, output: MetricOutput, labels: [String]? = nil,
        step: MetricStep = .llmSpan, input: InputFormat = .message
    ) {
        self.name = name
        self.preset = preset
        self.prompt = prompt
        self.output = output
        self.labels = labels ?? (output == .boolean ? ["false", "true"] : [])
        self.step = step
        self.input = input
    }
}

/// What a metric outputs.
public enum MetricOutput: String, Hashable, Sendable, Codable, CaseIterable {
    case boolean
    case categorical
}

/// Where in a trace a metric runs.
public enum MetricStep: String, Hashable, Sendable, Codable, CaseIterable {
    case llmSpan = "llm_span"
    case retriever
    case agentSpan = "agent_span"
    case trace
    case session
}

/// What one row holds.
public enum InputFormat: String, Hashable, Sendable, Codable, CaseIterable {
    /// The input only.
    case message
    /// The output only.
    case output
    /// Input and output.
    case inputOutput = "input_output"
    /// Retrieved documents + input (+ output).
    case rag
    /// Tools + input + output.
    case tools
    /// A whole trace, flattened.
    case trace
    /// A whole session, flattened.
    case session

    /// The canonical fields a row of this format must have (besides `label`).
    public var requiredFields: [String] {
        switch self {
        case .message: return ["input"]
        case .output: return ["output"]
        case .inputOutput: return ["input", "output"]
        case .rag: return ["documents", "input"]
        case .tools: return ["tools", "input", "output"]
        case .trace: return ["trace"]
        case .session: return ["session"]
        }
    }

    /// Fields a row may have beyond the required ones.
    public var optionalFields: [String] {
        switch self {
        case .rag: return ["output"]
        default: return []
        }
    }
}
