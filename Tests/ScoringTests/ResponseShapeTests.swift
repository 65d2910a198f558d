import Basics
import Testing

@testable import Scoring

/// The one shape of a scored row, shared by `lunette score` and `POST /v1/score`.
@Suite struct ResponseShapeTests {
    @Test("a boolean metric's score is a JSON boolean, with a probability per label")
    func booleanMetric() {
        let prediction = MetricModel.Prediction(label: "true", labelIndex: 1, probabilities: [0.25, 0.75])
        #expect(MetricModel.responseFields(prediction, labels: ["false", "true"]) == [
            "score": true, "probabilities": ["false": 0.25, "true": 0.75],
        ])
    }

    @Test("a categorical metric's score is its label")
    func categoricalMetric() {
        let prediction = MetricModel.Prediction(label: "neutral", labelIndex: 1, probabilities: [0.5, 0.25, 0.25])
        #expect(MetricModel.responseFields(prediction, labels: ["angry", "neutral", "happy"]) == [
            "score": "neutral", "probabilities": ["angry": 0.5, "neutral": 0.25, "happy": 0.25],
        ])
    }
}
