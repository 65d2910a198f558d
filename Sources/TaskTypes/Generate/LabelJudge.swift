import Basics
import Providers
import Scoring

/// Asks the judge for one row's label and reads the answer.
struct LabelJudge: Sendable {
    let metric: LabelingMetric

    struct Verdict: Sendable, Hashable {
        var label: String
        var rationale: String
    }

    struct Failure: Error, Sendable, Hashable {
        var text: String
    }

    static let system = "You are a careful, consistent evaluator. You answer with one JSON object and nothing else."

    /// The first request for `row`.
    func request(for row: CanonicalRow) -> ChatRequest {
        let labels = metric.labels.map { "\"\($0)\"" }.joined(separator: ", ")
        let text = (metric.prompt ?? "") + "\n\n---\n" + metric.render(row) + "\n---\n\n"
            + "Answer with a JSON object {\"label\": one of \(labels), \"rationale\": one sentence saying why} and nothing else."
        return ChatRequest(messages: [.system(LabelJudge.system), .user(text)], wantsJSON: true)
    }

    /// Asks up to `samples` times, each retry telling the model what was wrong with its answer.
    /// - Throws: ``ProviderError`` when a call fails (not when an answer is unreadable, nor when the
    ///   model refuses the row: both fail only the row).
    func verdict(for row: CanonicalRow, cache: ProviderCallCache, samples: Int) async throws -> Result<Verdict, Failure> {
        var request = self.request(for: row)
        var lastFailure = Failure(text: "no answer")
        for sample in 0..<samples {
            request.sampleIndex = sample
            let answer: ChatResponse
            do {
                answer = try await cache.complete(request)
            } catch let error as ProviderError where error.code == .refused {
                // A model that refuses one row (a slur in a hate-speech set, say) fails that row, not the stage.
                return .failure(Failure(text: error.message))
            }
            switch read(answer.text) {
            case .success(let verdict): return .success(verdict)
            case .failure(let failure):
                lastFailure = failure
                let labels = metric.labels.map { "\"\($0)\"" }.joined(separator: ", ")
                request.messages.append(.assistant(answer.text))
                request.messages.append(
                    .user("That answer could not be used: \(failure.text). Answer again with only a JSON object "
                        + "{\"label\": one of \(labels), \"rationale\": one sentence}."))
            }
        }
        return .failure(Failure(text: "\(lastFailure.text) (after \(samples) answers)"))
    }

    /// A verdict from an answer: a JSON object with `label` (and `rationale`), or a bare label.
    func read(_ answer: String) -> Result<Verdict, Failure> {
        if let json = ProviderResponseText.extractJSON(from: answer) {
            let object = json.arrayValue?.first ?? json
            guard let given = object["label"] ?? object["answer"] ?? object["verdict"] else {
                return .failure(Failure(text: "the JSON answer has no \"label\""))
            }
            guard let label = metric.matchLabel(given) else {
                return .failure(Failure(text: "the label \(given.canonicalText) is not one of the metric's labels"))
            }
            let rationale = (object["rationale"] ?? object["reason"] ?? object["explanation"])?.stringValue ?? ""
            return .success(Verdict(label: label, rationale: LabelJudge.oneSentence(rationale)))
        }
        if let label = metric.matchLabel(.string(answer)) {
            return .success(Verdict(label: label, rationale: ""))
        }
        let preview = answer.count > 60 ? String(answer.prefix(57)) + "…" : answer
        return .failure(Failure(text: "the answer is neither JSON nor a label (\"\(preview.replacingOccurrences(of: "\n", with: " "))\")"))
    }

    /// The first sentence of `text`, trimmed, at most 300 characters.
    static func oneSentence(_ text: String) -> String {
        var sentence = text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " ")
        if let end = sentence.range(of: ". ") { sentence = String(sentence[..<end.lowerBound]) + "." }
        return sentence.count > 300 ? String(sentence.prefix(299)) + "…" : sentence
    }
}
