#!/usr/bin/env python3
"""Derives the example's data, test and training files (deterministic; stdlib only).

    python3 make-splits.py                                   # from data.csv (as committed)
    python3 make-splits.py --from ONE_TURN.json MULTI_TURN.json   # rebuild data.csv from HaluEval's files too
    git -C <HaluEval> show HEAD:generation/qa/qa_one-turn_data.json > one.json   # (see SOURCE.txt)

HaluEval's generation/qa/qa_one-turn_data.json and qa_multi-turn_data.json are JSON lines
{knowledge, question, right_answer, hallucinated_answer}, 500 each. They hold the SAME 500 questions, in
the same order, with the same knowledge and right answer; only the hallucinated answer differs (equal in
13). data.csv keeps all of it, one row per (question, answer): question_id (the line number, 0-499),
knowledge, question, answer, source (right | one-turn | multi-turn), label (1 right, 0 hallucinated);
a multi-turn answer equal to the one-turn one is left out. With --from, questions are deduplicated
(compared as lower-cased letters and digits, as Lunette compares text; the first line is kept).

The task's pairs are each question's right answer and its ONE-TURN hallucinated answer (the multi-turn
ones are longer still: see README.md). Every answer's trailing full stop is removed (445 of 500
one-turn hallucinated answers end with one, 7 of 500 right answers do: a cue, not a fact check).
No question may be on both sides (a model that saw a question with one answer learns the question),
so whole questions go to one side, seeded:

test.csv:  ONE row of each of 300 questions (right / hallucinated alternating in shuffled order: 150 each):
           the hand-labelled test set; the manifest splits it with split: {group_by: question_id}.
train.csv: BOTH rows of each of the other 200 questions (400 rows): the uploaded labelled training set.
Both have the columns id (<question_id>-<0 right | 1 hallucinated>), question_id, knowledge, question,
answer and supported (true / false). Re-running gives the same bytes.
"""
import csv, json, random, sys

FIELDS = ["question_id", "knowledge", "question", "answer", "source", "label"]


def normalise(text):
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def read_jsonl(path):
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def build_data(one_path, multi_path):
    one, multi = read_jsonl(one_path), read_jsonl(multi_path)
    multi_by_question = {}
    for m in multi:
        multi_by_question.setdefault(normalise(m["question"]), m)
    rows, seen = [], set()
    for q in one:
        key = normalise(q["question"])
        if key in seen:
            continue
        seen.add(key)
        qid = len(seen) - 1
        base = {"question_id": qid, "knowledge": q["knowledge"], "question": q["question"]}
        rows.append({**base, "answer": q["right_answer"], "source": "right", "label": 1})
        rows.append({**base, "answer": q["hallucinated_answer"], "source": "one-turn", "label": 0})
        m = multi_by_question.get(key)
        if m is not None:
            assert m["knowledge"] == q["knowledge"] and m["right_answer"] == q["right_answer"], q["question"]
            if m["hallucinated_answer"] != q["hallucinated_answer"]:
                rows.append({**base, "answer": m["hallucinated_answer"], "source": "multi-turn", "label": 0})
    with open("data.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"data.csv: {len(rows)} rows, {len(seen)} questions", file=sys.stderr)


args = sys.argv[1:]
if args[:1] == ["--from"]:
    if len(args) != 3:
        sys.exit("usage: make-splits.py [--from ONE_TURN.json MULTI_TURN.json]")
    build_data(args[1], args[2])

rows = list(csv.DictReader(open("data.csv", newline="", encoding="utf-8")))
pairs = {}
for r in rows:
    if r["source"] in ("right", "one-turn"):
        pairs.setdefault(int(r["question_id"]), {})[r["source"]] = r
questions = sorted(pairs)
assert all(set(pairs[q]) == {"right", "one-turn"} for q in questions), "each question needs a right and a one-turn answer"
rng = random.Random(2023)
rng.shuffle(questions)
test = [pairs[q]["right" if i % 2 == 0 else "one-turn"] for i, q in enumerate(questions[:300])]
train = [pairs[q][s] for q in questions[300:] for s in ("right", "one-turn")]


def strip_stop(answer):
    answer = answer.strip()
    return answer[:-1].rstrip() if answer.endswith(".") else answer


def write(name, part):
    part = sorted(part, key=lambda r: (int(r["question_id"]), r["source"] != "right"))
    with open(name, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "question_id", "knowledge", "question", "answer", "supported"],
                           lineterminator="\n")
        w.writeheader()
        for r in part:
            right = r["source"] == "right"
            w.writerow({"id": f"{r['question_id']}-{0 if right else 1}", "question_id": r["question_id"],
                        "knowledge": r["knowledge"], "question": r["question"], "answer": strip_stop(r["answer"]),
                        "supported": "true" if right else "false"})
    print(f"{name}: {len(part)} rows", file=sys.stderr)


write("test.csv", test)
write("train.csv", train)
