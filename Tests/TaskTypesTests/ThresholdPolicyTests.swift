import Basics
import Foundation
import Testing

@testable import TaskTypes

@Suite struct ThresholdPolicyTests {
    /// 200 out-of-fold rows where positives score 0.2…0.5 and negatives 0.0…0.3: macro-F1 is best (0.83)
    /// for cuts between 0.2 and 0.3, and poor at 0.5 (nearly every positive missed). A 10-row slice of them
    /// (as a small `validation_fraction` holds out) has its 8 negatives under 0.05, so its best cut is ~0.12.
    static func separated(count: Int) -> (probabilities: [Float], isPositive: [Bool]) {
        var probabilities: [Float] = [], isPositive: [Bool] = []
        for index in 0..<count {
            let positive = index % 2 == 0
            let spread = Float(index % 97) / 97
            probabilities.append(positive ? 0.2 + 0.3 * spread : 0.3 * spread)
            isPositive.append(positive)
        }
        return (probabilities, isPositive)
    }

    @Test func outOfFoldChoiceBeatsASliceTunedCut() throws {
        let (probabilities, isPositive) = Self.separated(count: 200)
        let choice = try #require(ThresholdPolicy.macroF1.choose(probabilities: probabilities, isPositive: isPositive))
        #expect(choice.rows == 200)
        #expect(choice.unshrunk >= 0.19 && choice.unshrunk <= 0.3, "unshrunk cut \(choice.unshrunk)")
        #expect(choice.threshold >= 0.19 && choice.threshold <= 0.31, "cut \(choice.threshold)")  // 100 in the smaller class: pulled little
        #expect(choice.score > 0.8)
        #expect(choice.score > choice.scoreAtDefault + 0.2)  // at 0.5 nearly every positive is missed

        // The slice: a handful of rows. Its best cut differs, and on all 200 rows scores worse.
        let slice = [0, 1, 3, 5, 7, 9, 11, 13, 15, 50]
        let sliced = try #require(ThresholdPolicy.macroF1.choose(
            probabilities: slice.map { probabilities[$0] }, isPositive: slice.map { isPositive[$0] }))
        let onAll = { (cut: Double) in
            ThresholdPolicy.macroF1Value(probabilities: probabilities, isPositive: isPositive, cut: cut)
        }
        #expect(onAll(sliced.unshrunk) < onAll(choice.threshold) - 0.02, "slice cut \(sliced.unshrunk)")
        // Thin evidence (2 positives in the slice): its cut is pulled most of the way back toward 0.5.
        #expect(abs(sliced.threshold - 0.5) < abs(sliced.unshrunk - 0.5) * 0.2 || sliced.threshold == 0.5)
    }

    @Test func targetPoliciesMeetTheirTarget() throws {
        let probabilities: [Float] = [0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1]
        let isPositive = [true, true, true, false, true, false, true, false, false, false]
        let precise = try #require(ThresholdPolicy.targetPrecision(1).choose(probabilities: probabilities, isPositive: isPositive))
        #expect(precise.threshold > 0.8 && precise.threshold < 0.85)  // the top 3 rows: precision 1, recall 0.6
        #expect(precise.score == 1)
        #expect(precise.targetReached)
        let recall = try #require(ThresholdPolicy.targetRecall(1).choose(probabilities: probabilities, isPositive: isPositive))
        #expect(recall.threshold > 0.3 && recall.threshold < 0.4)  // the highest cut keeping all 5 positives
        #expect(recall.score == 1)
        // The lowest row is a positive: only a cut under every probability keeps them all.
        let lowest = try #require(ThresholdPolicy.targetRecall(1).choose(probabilities: [0.9, 0.6, 0.3, 0.1],
                                                                          isPositive: [true, false, false, true]))
        #expect(lowest.targetReached && lowest.threshold < 0.1 && lowest.score == 1)
        let impossible = try #require(ThresholdPolicy.targetPrecision(1).choose(probabilities: [0.9, 0.8], isPositive: [false, true]))
        #expect(!impossible.targetReached)
    }

    @Test func noneOrOneClassChoosesNothing() {
        #expect(ThresholdPolicy.none.choose(probabilities: [0.2, 0.8], isPositive: [false, true]) == nil)
        #expect(ThresholdPolicy.macroF1.choose(probabilities: [0.2, 0.8], isPositive: [true, true]) == nil)
    }

    @Test func policiesReadWhatTheyWrite() {
        for policy in [ThresholdPolicy.macroF1, .f1, .none, .targetPrecision(0.9), .targetRecall(0.8)] {
            #expect(ThresholdPolicy(json: policy.jsonValue) == policy)
        }
        #expect(ThresholdPolicy(json: ["target_precision": 0]) == nil)
        #expect(ThresholdPolicy(json: ["target_precision": 0.9, "target_recall": 0.8]) == nil)
        #expect(ThresholdPolicy(json: "best") == nil)
    }
}
