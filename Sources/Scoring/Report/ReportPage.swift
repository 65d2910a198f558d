import Basics
import Foundation

/// Renders an ``EvaluationReport`` as one self-contained HTML page: no scripts, no fonts, no
/// network fetches; every plot is inline SVG.
public enum ReportPage {
    public static func render(_ report: EvaluationReport) -> String {
        let s = report.scores
        var body = """
            <header><h1>\(escape(report.metric))</h1>
            <p class="sub">\(escape(report.project))/\(escape(report.run)) · \(escape(report.output)) metric ·
            \(s.rows) eval rows never trained on\(s.threshold.map { " · decision threshold \(format($0, 3))" } ?? "")</p></header>
            <section class="pills">
            \(pill("macro F1", s.macroF1, interval: report.intervals?.macroF1))\(pill("accuracy", s.accuracy, interval: report.intervals?.accuracy))
            \(s.binaryF1.map { pill("F1 (\(escape(s.labels.last ?? "")))", $0) } ?? "")
            \(s.aucROC.map { pill("AUC-ROC", $0, interval: report.intervals?.aucROC) } ?? "")\(s.prAUC.map { pill("PR-AUC", $0) } ?? "")
            \(pill("calibration error", s.expectedCalibrationError, lowerIsBetter: true))
            </section>
            """
        if let selection = report.selection { body += "<section><h2>Model selection</h2><p>" + selectionText(selection) + "</p></section>" }
        body += "<section><h2>Against baselines</h2>" + baselineTable(report) + "</section>"
        body += figures(report)
        body += "<section><h2>The \(report.mistakes.count) most confident mistakes</h2>" + mistakesTable(report) + "</section>"
        body += "<footer>" + report.digests.sorted(by: { $0.key < $1.key }).map { "\(escape($0.key)) \(escape(String($0.value.prefix(19))))" }.joined(separator: " · ") + "</footer>"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(report.metric)) — Lunette report</title>
            <style>\(style)</style></head><body>\(body)</body></html>

            """
    }

    /// One sentence on what the train stage chose and from how many out-of-fold rows, escaped.
    static func selectionText(_ selection: JSONValue) -> String {
        var parts: [String] = []
        let mode = selection["mode"]?.stringValue ?? "?"
        let folds = selection["cross_validation_folds"]?.intValue ?? 0
        if let auto = selection["auto_mode"], let head = auto["head_macro_f1"]?.doubleValue, let full = auto["full_macro_f1"]?.doubleValue {
            parts.append("mode auto → \(mode): out-of-fold macro F1 head \(format(head, 3)), full \(format(full, 3)) (\(folds) folds)")
        } else {
            parts.append("mode \(mode)" + (folds >= 2 ? ", \(folds)-fold cross-validation" : ", not cross-validated"))
        }
        if let l2 = selection["chosen_l2"]?.doubleValue { parts.append("L2 \(format(l2, 3))") }
        if mode == "full", let epoch = selection["best_epoch"]?.intValue, let epochs = selection["epochs"]?.intValue {
            parts.append("\(epoch) of \(epochs) epochs")
        }
        if let threshold = selection["threshold"] {
            if let tuned = threshold["tuned"]?.doubleValue, let chosen = threshold["selection"] {
                let on = chosen["chosen_on"]?.stringValue == "out_of_fold" ? "out-of-fold" : "validation"
                let policy = chosen["policy"].map { $0.stringValue ?? $0.canonicalText } ?? "?"
                parts.append("threshold \(format(tuned, 3)) for \(policy) on \(chosen["rows"]?.intValue ?? 0) "
                    + "\(on) rows (\(format(chosen["score"]?.doubleValue ?? 0, 3)) there, \(format(chosen["score_at_default"]?.doubleValue ?? 0, 3)) at 0.5)")
            } else {
                parts.append("threshold 0.5 (not tuned)")
            }
        }
        return escape(parts.joined(separator: " · "))
    }

    /// The report's plots as one `<section class="grid">` of figures (confusion matrix, per-class
    /// table, ROC and precision–recall curves, reliability diagram, training loss): inline SVG, no
    /// scripts. The dashboard's run page embeds it; ``figureStyle`` styles it outside this page.
    public static func figures(_ report: EvaluationReport) -> String {
        let s = report.scores
        var grid = "<section class=\"grid\">"
        grid += figure("Confusion matrix", confusionSVG(s))
        grid += figure("Per class", perClassTable(s))
        if !s.rocCurve.isEmpty {
            grid += figure(
                "ROC curve", curveSVG(s.rocCurve, xLabel: "false positive rate", yLabel: "true positive rate", diagonal: true))
        }
        if !s.prCurve.isEmpty {
            grid += figure("Precision–recall", curveSVG(s.prCurve, xLabel: "recall", yLabel: "precision", diagonal: false))
        }
        grid += figure("Reliability", reliabilitySVG(s))
        if let losses = report.trainingCurve?["step_loss"]?.arrayValue?.compactMap(\.doubleValue), losses.count > 1 {
            let points = losses.enumerated().map {
                ClassificationMetrics.CurvePoint(x: Double($0.offset) / Double(losses.count - 1), y: $0.element)
            }
            grid += figure("Training loss per step", curveSVG(points, xLabel: "step", yLabel: "loss", diagonal: false, yMax: (losses.max() ?? 1)))
        }
        grid += "</section>"
        return grid
    }

    /// The CSS the ``figures(_:)`` section needs, for pages with their own style sheet.
    public static let figureStyle = """
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:16px}
        figure{margin:0;border:1px solid #d1d9e0;border-radius:8px;padding:12px}figcaption{font-weight:600;margin-bottom:8px}
        """

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:0 auto;max-width:1100px;padding:24px}
        h1{margin:0;font-size:26px}h2{font-size:16px;margin:24px 0 8px}.sub{color:#59636e;margin:4px 0 16px}
        .pills{display:flex;flex-wrap:wrap;gap:8px}.pill{border-radius:999px;padding:6px 14px;font-weight:600}
        .good{background:#dafbe1;color:#116329}.fair{background:#fff8c5;color:#7d4e00}.poor{background:#ffebe9;color:#a40e26}
        table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #d1d9e0;text-align:right}
        th:first-child,td:first-child{text-align:left}
        """ + figureStyle + """

        .text{text-align:left;max-width:560px;overflow-wrap:anywhere}footer{margin-top:32px;color:#59636e;font-size:12px}
        .up{color:#116329}.down{color:#a40e26}
        """

    static func pill(
        _ name: String, _ value: Double, lowerIsBetter: Bool = false, interval: ScoreIntervals.Interval? = nil
    ) -> String {
        let quality = lowerIsBetter ? (value < 0.05 ? "good" : value < 0.15 ? "fair" : "poor")
            : (value >= 0.8 ? "good" : value >= 0.6 ? "fair" : "poor")
        let range = interval.map { " <small title=\"95% bootstrap interval\">[\(format($0.lower, 3))–\(format($0.upper, 3))]</small>" } ?? ""
        return "<span class=\"pill \(quality)\">\(escape(name)) \(format(value, 3))\(range)</span>"
    }

    static func baselineTable(_ report: EvaluationReport) -> String {
        var rows = "<tr><th>model</th><th>macro F1</th><th>accuracy</th><th>AUC-ROC</th><th>Δ macro F1</th></tr>"
        rows += "<tr><td><b>fine-tuned</b></td><td>\(format(report.scores.macroF1, 3))</td><td>\(format(report.scores.accuracy, 3))</td><td>\(report.scores.aucROC.map { format($0, 3) } ?? "–")</td><td></td></tr>"
        for baseline in report.baselines {
            let delta = baseline.macroF1Delta
            rows += "<tr><td>\(escape(baseline.name))</td><td>\(format(baseline.scores.macroF1, 3))</td><td>\(format(baseline.scores.accuracy, 3))</td><td>\(baseline.scores.aucROC.map { format($0, 3) } ?? "–")</td><td class=\"\(delta >= 0 ? "up" : "down")\">\(delta >= 0 ? "+" : "")\(format(delta, 3))</td></tr>"
        }
        return "<table>\(rows)</table>"
    }

    static func perClassTable(_ s: ClassificationMetrics) -> String {
        var rows = "<tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>rows</th></tr>"
        for c in s.perClass {
            rows += "<tr><td>\(escape(c.label))</td><td>\(format(c.precision, 3))</td><td>\(format(c.recall, 3))</td><td>\(format(c.f1, 3))</td><td>\(c.support)</td></tr>"
        }
        return "<table>\(rows)</table>"
    }

    static func mistakesTable(_ report: EvaluationReport) -> String {
        guard !report.mistakes.isEmpty else { return "<p>None: every eval row was classified correctly.</p>" }
        var rows = "<tr><th>row</th><th class=\"text\">text</th><th>label</th><th>predicted</th><th>confidence</th></tr>"
        for m in report.mistakes {
            rows += "<tr><td>\(m.id.map(escape) ?? String(m.row))</td><td class=\"text\">\(escape(String(m.text.prefix(400))))</td><td>\(escape(m.label))</td><td>\(escape(m.predicted))</td><td>\(format(m.confidence, 3))</td></tr>"
        }
        return "<table>\(rows)</table>"
    }

    static func figure(_ caption: String, _ content: String) -> String {
        "<figure><figcaption>\(escape(caption))</figcaption>\(content)</figure>"
    }

    static func confusionSVG(_ s: ClassificationMetrics) -> String {
        let k = s.labels.count, cell = min(64, 240 / max(1, k)), left = 90, top = 24
        let width = left + k * cell + 8, height = top + k * cell + 40
        let maximum = max(1, s.confusion.flatMap { $0 }.max() ?? 1)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"confusion matrix\">"
        for (t, row) in s.confusion.enumerated() {
            svg += "<text x=\"\(left - 6)\" y=\"\(top + t * cell + cell / 2 + 4)\" text-anchor=\"end\" font-size=\"11\">\(escape(String(s.labels[t].prefix(12))))</text>"
            for (p, count) in row.enumerated() {
                let shade = Double(count) / Double(maximum)
                let color = t == p ? "rgba(26,127,55,\(format(0.15 + 0.75 * shade, 2)))" : "rgba(207,34,46,\(format(0.1 + 0.7 * shade, 2)))"
                svg += "<rect x=\"\(left + p * cell)\" y=\"\(top + t * cell)\" width=\"\(cell - 2)\" height=\"\(cell - 2)\" fill=\"\(color)\"/>"
                svg += "<text x=\"\(left + p * cell + cell / 2)\" y=\"\(top + t * cell + cell / 2 + 4)\" text-anchor=\"middle\" font-size=\"12\">\(count)</text>"
            }
        }
        for (p, label) in s.labels.enumerated() {
            svg += "<text x=\"\(left + p * cell + cell / 2)\" y=\"\(top + k * cell + 14)\" text-anchor=\"middle\" font-size=\"11\">\(escape(String(label.prefix(10))))</text>"
        }
        svg += "<text x=\"\(left + k * cell / 2)\" y=\"\(top + k * cell + 32)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#59636e\">predicted</text>"
        svg += "<text x=\"4\" y=\"14\" font-size=\"11\" fill=\"#59636e\">true ↓</text></svg>"
        return svg
    }

    static func curveSVG(
        _ points: [ClassificationMetrics.CurvePoint], xLabel: String, yLabel: String, diagonal: Bool, yMax: Double = 1
    ) -> String {
        let w = 300.0, h = 220.0, left = 40.0, bottom = 30.0
        func x(_ v: Double) -> String { format(left + v * (w - left - 10), 1) }
        func y(_ v: Double) -> String { format(h - bottom - (v / max(yMax, 1e-9)) * (h - bottom - 10), 1) }
        let path = points.map { "\(x($0.x)),\(y($0.y))" }.joined(separator: " ")
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"\(escape(yLabel)) by \(escape(xLabel))\">"
        svg += "<rect x=\"\(left)\" y=\"10\" width=\"\(w - left - 10)\" height=\"\(h - bottom - 10)\" fill=\"none\" stroke=\"#d1d9e0\"/>"
        if diagonal { svg += "<line x1=\"\(x(0))\" y1=\"\(y(0))\" x2=\"\(x(1))\" y2=\"\(y(yMax))\" stroke=\"#d1d9e0\" stroke-dasharray=\"4 4\"/>" }
        svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\"/>"
        svg += "<text x=\"\(left)\" y=\"\(h - 8)\" font-size=\"11\" fill=\"#59636e\">\(escape(xLabel))</text>"
        svg += "<text x=\"4\" y=\"10\" font-size=\"11\" fill=\"#59636e\" transform=\"rotate(90 4 10)\">\(escape(yLabel))</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(y(yMax))\" text-anchor=\"end\" font-size=\"10\">\(format(yMax, 2))</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(y(0))\" text-anchor=\"end\" font-size=\"10\">0</text></svg>"
        return svg
    }

    static func reliabilitySVG(_ s: ClassificationMetrics) -> String {
        let w = 300.0, h = 220.0, left = 40.0, bottom = 30.0
        let barWidth = (w - left - 10) / Double(max(1, s.reliability.count))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" aria-label=\"reliability diagram\">"
        svg += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - 10)\" y2=\"10\" stroke=\"#d1d9e0\" stroke-dasharray=\"4 4\"/>"
        for (i, bin) in s.reliability.enumerated() where bin.count > 0 {
            let height = bin.accuracy * (h - bottom - 10)
            svg += "<rect x=\"\(format(left + Double(i) * barWidth + 1, 1))\" y=\"\(format(h - bottom - height, 1))\" width=\"\(format(barWidth - 2, 1))\" height=\"\(format(height, 1))\" fill=\"#54aeff\"><title>\(bin.count) rows, confidence \(format(bin.meanConfidence, 2)), accuracy \(format(bin.accuracy, 2))</title></rect>"
        }
        svg += "<text x=\"\(left)\" y=\"\(h - 8)\" font-size=\"11\" fill=\"#59636e\">confidence (bins) · bars: accuracy · ECE \(format(s.expectedCalibrationError, 3))</text></svg>"
        return svg
    }

    static func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    static func escape(_ text: String) -> String { text.htmlEscaped }
}
